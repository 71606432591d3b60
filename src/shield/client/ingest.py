"""`shield ingest PATH|URL ...`: files, folders and URLs into a collection, one job each.

A file's source (its identity in the collection) is its path relative to the current folder,
or, outside it, to the folder named on the command line: run from the same place, the same
file is the same document. Files whose content is stored already under their source are not
sent at all; URLs are always queued (shield-api fetches them and skips what has not changed).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from shield import apiclient
from shield.access.scopes import Access, Kind, Principal
from shield.client.api import REFUSED, Refused, ShieldApi, client_settings, request
from shield.client.follow import Submitted, wait_for_jobs
from shield.client.output import console, documents_table, error_console, plural, print_json
from shield.documents.formats import BY_EXTENSION, SUPPORTED
from shield.jobs.models import JobState, JobStatus
from shield.jobs.requests import DocumentIngest
from shield.schemas import MAX_DOCUMENTS_LISTED


@dataclass(frozen=True)
class LocalFile:
    path: Path
    source: str

    def content_hash(self) -> str:
        """As shield-api keeps it for an uploaded file: SHA-256 of its bytes."""
        digest = hashlib.sha256()
        with self.path.open("rb") as stream:
            while block := stream.read(1 << 20):
                digest.update(block)
        return digest.hexdigest()


def is_url(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))


def _source(path: Path, named: Path) -> str:
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.relative_to(named.resolve().parent).as_posix()


def _wanted(relative: str, include: tuple[str, ...], exclude: tuple[str, ...]) -> bool:
    """Globs match the path under the folder or the file's name; `*` crosses folders."""
    name = relative.rsplit("/", 1)[-1]

    def matches(pattern: str) -> bool:
        return fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(name, pattern)

    if any(matches(pattern) for pattern in exclude):
        return False
    if include:
        return any(matches(pattern) for pattern in include)
    return name.rsplit(".", 1)[-1].lower() in BY_EXTENSION if "." in name else False


def folder_files(
    folder: Path, include: tuple[str, ...], exclude: tuple[str, ...]
) -> list[LocalFile]:
    """The files under a folder to ingest, sorted: by default every one of a supported format;
    hidden files and folders (`.git`) are passed over."""
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if _wanted(relative.as_posix(), include, exclude):
            found.append(LocalFile(path, _source(path, folder)))
    return found


def local_files(
    targets: list[str], include: tuple[str, ...], exclude: tuple[str, ...]
) -> list[LocalFile]:
    """Every file the targets name, checked before anything is sent (exit 2 otherwise). A file
    named on its own is always sent: shield-api says why if it cannot read it."""
    files: list[LocalFile] = []
    for target in targets:
        path = Path(target)
        if path.is_dir():
            found = folder_files(path, include, exclude)
            if not found:
                raise click.UsageError(
                    f"{target}: no file to ingest in this folder (by default files of a "
                    f"supported format: {SUPPORTED}; see --include)"
                )
            files += found
        elif path.is_file():
            files.append(LocalFile(path, _source(path, path)))
        else:
            raise click.UsageError(f"{target}: no such file or folder (nor an http(s) URL)")
    unique = {file.source: file for file in files}  # a file named twice is sent once
    return list(unique.values())


def stored_hashes(api: ShieldApi, collection: str | None, create: bool) -> dict[str, str]:
    """Source -> content hash of each document in the collection (none: a new collection, if
    `create` says to make it; otherwise a missing collection is refused, once for all files)."""
    hashes: dict[str, str] = {}
    offset: int | None = 0
    while offset is not None:
        try:
            listed = api.send(
                apiclient.list_documents(collection or None, MAX_DOCUMENTS_LISTED, offset)
            )
        except Refused as refused:
            # The default collection (none named) is made by its first write, as asked.
            if refused.status == 404 and (create or collection is None):
                return {}
            if refused.status == 404:
                raise Refused(_missing(api, collection), refused.status) from None
            raise
        hashes.update({doc.source: doc.content_hash for doc in listed.documents})
        offset = listed.next_offset
    return hashes


def _missing(api: ShieldApi, collection: str | None) -> str:
    """What to say of a collection that is not there: the ones this token may write to, as
    shield-api says it of a write."""
    who = api.send(apiclient.whoami())
    principal = Principal(who.name, Kind(who.kind), frozenset(who.scopes))
    writable = principal.collections(Access.WRITE)
    names = sorted(
        c.name
        for c in api.send(apiclient.list_collections()).collections
        if writable is None or c.name in writable
    )
    return (
        f"collection {collection!r} does not exist; the collections you may write to: "
        f"{', '.join(names) or 'none yet'}. --create-collection makes it"
    )


@dataclass
class Outcome:
    submitted: list[Submitted]
    skipped: list[str]
    refused: list[dict[str, str]]


def submit(
    api: ShieldApi,
    files: list[LocalFile],
    urls: list[str],
    collection: str | None,
    metadata: dict[str, Any] | None,
    create: bool = False,
) -> Outcome:
    outcome = Outcome([], [], [])
    stored = stored_hashes(api, collection, create) if files else {}
    form = {
        "collection": collection or None,
        "create_collection": "true" if create else None,
        "metadata": json.dumps(metadata) if metadata else None,
    }
    for file in files:
        if stored.get(file.source) == file.content_hash():
            outcome.skipped.append(file.source)
            continue
        try:
            with file.path.open("rb") as stream:
                call = apiclient.ingest_upload(
                    file.path.name, stream, {**form, "source": file.source}
                )
                job = api.send(call)
        except Refused as refused:
            outcome.refused.append({"source": file.source, "error": refused.message})
            continue
        outcome.submitted.append(Submitted(file.source, job.job_id))
    for url in urls:
        try:
            body = request(
                DocumentIngest,
                kind="document",
                url=url,
                collection=collection or None,
                create_collection=create or None,
                metadata=metadata or None,
            )
            job = api.send(apiclient.ingest(body))
        except Refused as refused:
            outcome.refused.append({"source": url, "error": refused.message})
            continue
        outcome.submitted.append(Submitted(url, job.job_id))
    return outcome


def _metadata(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise click.BadParameter('a JSON object, e.g. {"team": "ops"}', param_hint="--metadata")
    return value


@click.command("ingest")
@click.argument("targets", nargs=-1, required=True, metavar="PATH|URL...")
@click.option("--collection", help="Into this collection (default: shield-api's default).")
@click.option(
    "--include",
    multiple=True,
    metavar="GLOB",
    help="In folders, only files whose path or name matches (repeatable; default: every file "
    "of a supported format).",
)
@click.option(
    "--exclude", multiple=True, metavar="GLOB", help="In folders, leave these out (repeatable)."
)
@click.option("--metadata", help="A JSON object kept with every chunk of every document.")
@click.option(
    "--create-collection",
    is_flag=True,
    help="Make the collection if it does not exist (a misspelt name is refused otherwise).",
)
@click.option(
    "--wait",
    is_flag=True,
    help="Follow the jobs to their end with a progress bar, then show what became of each "
    "document; exit 1 if any failed.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
def ingest(
    targets: tuple[str, ...],
    collection: str | None,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    metadata: str | None,
    create_collection: bool,
    wait: bool,
    as_json: bool,
) -> None:
    """Ingest files, folders (recursively) and URLs; unchanged files are skipped."""
    urls = [target for target in targets if is_url(target)]
    files = local_files([t for t in targets if not is_url(t)], include, exclude)
    extra = _metadata(metadata)
    with ShieldApi(client_settings()) as api:
        outcome = submit(api, files, urls, collection, extra, create_collection)
        jobs = wait_for_jobs(api, outcome.submitted) if wait and outcome.submitted else []
    failed = bool(outcome.refused) or any(job.status != JobStatus.SUCCEEDED for job in jobs)
    _report(outcome, jobs, wait, as_json)
    if failed:
        sys.exit(REFUSED)


def _report(outcome: Outcome, jobs: list[JobState], wait: bool, as_json: bool) -> None:
    if as_json:
        queued = [{"source": s.source, "job_id": s.job_id} for s in outcome.submitted]
        ended = [job.model_dump(mode="json") for job in jobs]
        print_json(
            {
                "jobs": ended if wait else queued,
                "skipped": outcome.skipped,
                "refused": outcome.refused,
            }
        )
        return
    out, notes = console(), error_console()
    for refused in outcome.refused:
        notes.print(f"refused: {refused['source']}: {refused['error']}", markup=False)
    if wait:
        items = [item for job in jobs for item in job.result.documents]
        if items:
            out.print(documents_table(items))
        for job in jobs:
            if job.status != JobStatus.SUCCEEDED and job.error:
                notes.print(f"job {job.job_id}: {job.error.message}", markup=False)
    else:
        for item in outcome.submitted:
            out.print(f"{item.job_id}  {item.source}", markup=False, highlight=False)
    notes.print(
        f"{plural(len(outcome.submitted), 'job')} queued, {len(outcome.skipped)} unchanged "
        f"skipped, {len(outcome.refused)} refused",
        markup=False,
    )

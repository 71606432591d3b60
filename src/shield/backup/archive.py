"""A Shield backup archive: a gzip'd tar whose first member is `manifest.json`.

The manifest says what the archive holds (Shield's version, the embedding model, the collections,
the Redis keys, whether a knowledge graph is in it) and lists every other file with its size and
SHA-256. Reading an archive trusts nothing in it: the manifest must come first, every member must
be a plain file or folder under a known top folder (no absolute paths, no `..`, no links or
devices), every file must be listed with the size and checksum it has, and every listed file must
be there. Files are written into a staging folder only, so a hostile or damaged archive is refused
with nothing of the platform touched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
import tarfile
import zlib
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, Field, ValidationError

from shield import __version__
from shield.errors import InvalidInput

FORMAT = 1
MANIFEST = "manifest.json"
TOP_FOLDERS = ("vectors", "redis", "graph")
MAX_MEMBERS = 1_000_000
MAX_MANIFEST_BYTES = 64 * 1024 * 1024
_BLOCK = 1024 * 1024


class ArchiveError(InvalidInput):
    """An archive that is not a Shield backup this version can restore, and why."""

    code = "invalid_archive"


class ArchivedFile(BaseModel):
    path: str
    bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ArchivedCollection(BaseModel):
    name: str
    points: int = Field(ge=0)


class Manifest(BaseModel):
    format: int
    shield_version: str
    created_at: str = Field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat())
    vector_backend: str
    embedding_model: str
    dimension: int
    collections: list[ArchivedCollection]
    redis_keys: int = Field(ge=0)
    tokens: int = Field(default=0, ge=0)  # named tokens (archives before them have none)
    graph: bool
    files: list[ArchivedFile] = Field(default_factory=list)


def _version(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split("+", 1)[0].split(".")[:3])
    except ValueError:
        raise ArchiveError(f"the archive names no Shield version: {text!r}") from None


def check_version(manifest: Manifest, running: str = __version__) -> None:
    """This Shield restores archives of its own format from the same major version, up to its
    own version (a newer Shield may have written what this one does not know)."""
    if manifest.format != FORMAT:
        raise ArchiveError(
            f"the archive is in backup format {manifest.format}; this Shield ({running}) "
            f"reads format {FORMAT}"
        )
    archived, current = _version(manifest.shield_version), _version(running)
    if archived[:1] != current[:1] or archived > current:
        raise ArchiveError(
            f"the archive was written by Shield {manifest.shield_version}; this Shield "
            f"({running}) restores archives of {current[0]}.x up to its own version: restore it "
            f"with Shield {manifest.shield_version}"
        )


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def write_archive(staging: Path, manifest: Manifest, target: Path) -> Manifest:
    """Everything under `staging` (its top folders) into `target`, the manifest first, with
    each file's size and checksum. Written beside `target` and renamed: never half an archive."""
    files = sorted(p for p in staging.rglob("*") if p.is_file())
    manifest.files = [
        ArchivedFile(
            path=p.relative_to(staging).as_posix(), bytes=p.stat().st_size, sha256=_digest(p)
        )
        for p in files
    ]
    partial = target.with_name(target.name + ".partial")
    body = manifest.model_dump_json(indent=2).encode()
    with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(body), 0o600
        info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
        tar.addfile(info, io.BytesIO(body))
        for path in files:
            tar.add(path, arcname=path.relative_to(staging).as_posix(), recursive=False)
    partial.replace(target)
    return manifest


def _safe_name(name: str) -> str:
    pure = PurePosixPath(name)
    if pure.is_absolute() or not pure.parts or ".." in pure.parts or "\\" in name:
        raise ArchiveError(f"the archive holds {name!r}, a path that leads out of it")
    if pure.parts[0] not in TOP_FOLDERS:
        raise ArchiveError(f"the archive holds {name!r}, which no Shield backup has")
    return pure.as_posix()


def _manifest(tar: tarfile.TarFile) -> Manifest:
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isfile():
        raise ArchiveError(f"this is not a Shield backup: its first member is not {MANIFEST}")
    if first.size > MAX_MANIFEST_BYTES:
        raise ArchiveError(f"the archive's {MANIFEST} is too large to be one")
    stream = tar.extractfile(first)
    assert stream is not None  # a regular file
    try:
        return Manifest.model_validate(json.loads(stream.read()))
    except (ValueError, ValidationError) as exc:
        raise ArchiveError(f"the archive's {MANIFEST} is not readable: {exc}") from None


def _copy_checked(
    tar: tarfile.TarFile, member: tarfile.TarInfo, listed: ArchivedFile, to: Path
) -> None:
    if member.size != listed.bytes:
        raise ArchiveError(
            f"{member.name} is {member.size} bytes in the archive; its manifest says "
            f"{listed.bytes}: the archive was altered or damaged"
        )
    source = tar.extractfile(member)
    assert source is not None
    to.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with to.open("xb") as out:
        while block := source.read(_BLOCK):
            digest.update(block)
            out.write(block)
    if digest.hexdigest() != listed.sha256:
        raise ArchiveError(
            f"{member.name} does not match its checksum: the archive was altered or damaged"
        )


def _check_room(manifest: Manifest, staging: Path) -> None:
    needed = sum(item.bytes for item in manifest.files)
    free = shutil.disk_usage(staging).free
    if needed > free:
        raise ArchiveError(
            f"the archive unpacks to {needed} bytes and {staging} has {free} free: make room first"
        )


def read_archive(archive: Path, staging: Path) -> Manifest:
    """The manifest of a checked archive whose files are now under `staging` (an empty folder);
    ArchiveError saying what is wrong otherwise (`staging` then holds only part of it)."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            manifest = _manifest(tar)
            check_version(manifest)
            _check_room(manifest, staging)
            listed = {item.path: item for item in manifest.files}
            seen: set[str] = set()
            for count, member in enumerate(tar):
                if count == 0:
                    continue  # the manifest, read already (iterating starts over)
                if count > MAX_MEMBERS:
                    raise ArchiveError(f"the archive holds more than {MAX_MEMBERS} members")
                name = _safe_name(member.name)
                if member.isdir():
                    continue
                if not member.isfile():
                    raise ArchiveError(
                        f"the archive holds {name!r}, a link or device: Shield backups hold "
                        "plain files only"
                    )
                if name not in listed or name in seen:
                    raise ArchiveError(
                        f"the archive holds {name!r}, which its manifest does not list"
                    )
                _copy_checked(tar, member, listed[name], staging / name)
                seen.add(name)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        if isinstance(exc, FileNotFoundError) and exc.filename == str(archive):
            raise
        raise ArchiveError(f"the archive is truncated or damaged: {exc}") from None
    missing = sorted(set(listed) - seen)
    if missing:
        raise ArchiveError(
            f"the archive lacks {len(missing)} file(s) its manifest lists, e.g. {missing[0]}: "
            "it is truncated"
        )
    return manifest


def manifest_of(archive: Path) -> Manifest:
    """The manifest alone (what `shield restore --check` and listings show)."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            return _manifest(tar)
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise ArchiveError(f"the archive is truncated or damaged: {exc}") from None


def tar_folder(folder: Path, target: Path, skip_suffixes: tuple[str, ...] = (".tmp",)) -> int:
    """Every file under `folder` into an uncompressed tar at `target`; how many files."""
    count = 0
    with tarfile.open(target, "w") as tar:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.endswith(skip_suffixes):
                tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
                count += 1
    return count


def untar_plain(source: Path, target: Path) -> list[str]:
    """A tar of plain files (what `tar_folder` wrote) into `target`, refusing any member that is
    not a plain file or folder inside it; the files' relative paths."""
    names: list[str] = []
    try:
        with tarfile.open(source, "r:") as tar:
            for member in tar:
                pure = PurePosixPath(member.name)
                if pure.is_absolute() or ".." in pure.parts or "\\" in member.name:
                    raise ArchiveError(f"the graph's state holds {member.name!r}, outside it")
                if member.isdir():
                    continue
                if not member.isfile():
                    raise ArchiveError(f"the graph's state holds {member.name!r}, not a file")
                stream = tar.extractfile(member)
                assert stream is not None
                to = target / pure
                to.parent.mkdir(parents=True, exist_ok=True)
                with to.open("xb") as out:
                    shutil.copyfileobj(stream, out, _BLOCK)
                names.append(pure.as_posix())
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ArchiveError(f"the graph's state is not a readable tar: {exc}") from None
    return names

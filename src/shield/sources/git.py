"""A Git source's repository, read with Debian's `git`: the branch's newest commit fetched into
the worker's cache (history is never needed), its tree listed with each file's blob id, the
files read blob by blob.

Git runs with nothing of the host's configuration, no prompt and only the protocol its source
uses. A URL passes the egress guard first, and git's connection is pinned to the addresses the
guard checked (no second lookup can lead it elsewhere) with redirects refused. Credentials, where
a repository needs them, stay in a git-credentials file that git's own `store` helper reads:
they never pass through a source's record, a command line, the environment or a log.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from wcmatch import glob

from shield.documents.formats import BY_EXTENSION
from shield.documents.inbox import inbox_target
from shield.errors import ShieldError
from shield.net.egress import EgressPolicy
from shield.sources.listing import GLOB_FLAGS, SourceUnreachable
from shield.sources.store import Entry

#: The ref a synced commit is kept under in the cache.
TIP = "refs/shield/tip"
_SYMLINK, _SUBMODULE = "120000", "160000"


@dataclass(frozen=True)
class GitFile:
    key: str  # the document's source: the repository's place and the file's path in it
    path: str  # inside the repository
    blob: str
    size: int

    def entry(self, document_id: str) -> Entry:
        return Entry(document_id=document_id, blob=self.blob)


@dataclass(frozen=True)
class Remote:
    """Where a repository is fetched from, and how git may reach it."""

    location: str  # a URL, or file:// and the repository's path
    protocol: str  # what GIT_ALLOW_PROTOCOL lets git use
    shown: str  # the repository as documents cite it
    config: tuple[tuple[str, str], ...] = ()  # git settings for this remote


def url_remote(url: str, policy: EgressPolicy, credentials: Path | None) -> Remote:
    """A repository over HTTP(S), checked by the egress guard and pinned to its addresses."""
    try:
        target = policy.check_url(url)
        addresses = policy.resolve(target.host, target.port)
    except ShieldError as exc:
        raise SourceUnreachable(f"the repository cannot be reached: {exc.message}") from None
    pinned = ",".join(f"[{a}]" if ":" in a else a for a in addresses)
    config = [
        ("http.followRedirects", "false"),
        ("http.curloptResolve", f"{target.host}:{target.port}:{pinned}"),
    ]
    if credentials is not None:
        # git's store helper, for reading only: it would otherwise write the file back after
        # each fetch and erase a line the server refused once.
        store = shlex.quote(f"--file={credentials}")
        config.append(
            ("credential.helper",
             f'!f() {{ if [ "$1" = get ]; then git credential-store {store} get; fi; }}; f'),
        )  # fmt: skip
    return Remote(target.url, target.scheme, url.rstrip("/"), tuple(config))


def inbox_remote(inbox: Path | None, relative: str) -> Remote:
    """A repository inside the workers' inbox (a working tree or a bare repository)."""
    try:
        folder = inbox_target(inbox, relative)
    except ShieldError as exc:
        raise SourceUnreachable(f"the repository cannot be read: {exc.message}") from None
    # The inbox's files belong to whoever put them there: git refuses another user's
    # repository unless told it is expected (in its global configuration: `-c` does not reach
    # the process that reads the repository).
    safe = (("safe.directory", str(folder)), ("safe.directory", str(folder / ".git")))
    return Remote(folder.as_uri(), "file", relative.rstrip("/"), safe)


class GitRepository:
    """A source's cached repository (`<folder>/repository`, and git's configuration beside
    it): fetch the branch, list its files, read one."""

    def __init__(self, folder: Path, remote: Remote, timeout: float) -> None:
        self.folder = folder
        self.cache = folder / "repository"
        self.config = folder / "gitconfig"
        self.remote = remote
        self.timeout = timeout

    def fetch(self, branch: str | None) -> str:
        """Fetch the branch's newest commit (the remote's default branch if None): its id."""
        if not (self.cache / "HEAD").is_file():
            shutil.rmtree(self.folder, ignore_errors=True)
            self.cache.mkdir(parents=True, mode=0o700)
            self._git("init", "--bare", "--quiet", ".")
        self.config.unlink(missing_ok=True)
        for key, value in self.remote.config:
            self._git("config", "--file", str(self.config), "--add", key, value)
        ref = f"refs/heads/{branch}" if branch else "HEAD"
        self._git(
            "fetch", "--depth=1", "--no-tags", "--no-write-fetch-head", "--quiet",
            "--", self.remote.location, f"+{ref}:{TIP}",
        )  # fmt: skip
        self._git("gc", "--auto", "--quiet")  # commits passed over become unreachable
        return self._git("rev-parse", "--verify", f"{TIP}^{{commit}}").decode().strip()

    def files(self, include: list[str] | None, max_files: int) -> list[GitFile]:
        """The commit's files of a supported format that `include` keeps (hidden ones, links
        and submodules left out), with their blob ids."""
        listing = self._git("ls-tree", "-r", "-l", "-z", "--full-tree", TIP)
        files = []
        for record in listing.decode("utf-8", errors="surrogateescape").split("\0"):
            if not record:
                continue
            meta, path = record.split("\t", 1)
            mode, _kind, blob, size = meta.split()
            pure = PurePosixPath(path)
            if mode in (_SYMLINK, _SUBMODULE) or any(p.startswith(".") for p in pure.parts):
                continue
            if pure.suffix.lower().lstrip(".") not in BY_EXTENSION:
                continue
            if include and not glob.globmatch(path, include, flags=GLOB_FLAGS):
                continue
            files.append(GitFile(f"{self.remote.shown}/{path}", path, blob, int(size)))
            if len(files) > max_files:
                raise SourceUnreachable(
                    f"the repository holds more than {max_files} files to keep "
                    "(SHIELD_INBOX_MAX_FILES): narrow the source's include globs"
                )
        return files

    def read(self, file: GitFile) -> bytes:
        return self._git("cat-file", "blob", file.blob)

    def _git(self, *args: str) -> bytes:
        git = shutil.which("git")
        if git is None:
            raise SourceUnreachable("this worker has no git: install Debian's git package")
        try:
            done = subprocess.run(  # noqa: S603 - our arguments; a URL passed the guard
                [git, "-C", str(self.cache), *args],
                env=_environment(self.folder, self.config, self.remote.protocol),
                capture_output=True, timeout=self.timeout, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise SourceUnreachable(
                f"git {args[0]} of {self.remote.shown} took longer than {self.timeout:.0f} s "
                "(SHIELD_GIT_TIMEOUT)"
            ) from None
        if done.returncode != 0:
            raise SourceUnreachable(_failure(self.remote.shown, args[0], done.stderr))
        return done.stdout


def _environment(home: Path, config: Path, protocol: str) -> dict[str, str]:
    """Nothing of the host's git configuration, proxies or prompts reaches git."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(config),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ALLOW_PROTOCOL": protocol,
    }


def _failure(shown: str, step: str, stderr: bytes) -> str:
    said = [
        line.removeprefix("fatal: ").removeprefix("error: ").strip()
        for line in stderr.decode("utf-8", errors="replace").splitlines()
        if line.strip() and not line.startswith(("hint:", "warning:"))
    ]
    reason = said[-1] if said else "it gave no reason"
    if "could not read Username" in reason or "Authentication failed" in reason:
        reason = "the repository asks for credentials: add them to SHIELD_GIT_CREDENTIALS_PATH"
    elif "couldn't find remote ref" in reason:
        reason = f"it has no such branch ({reason})"
    return f"git {step} of {shown} failed: {reason}; nothing was removed"


def cache_folder(data_dir: Path, source_id: str) -> Path:
    return data_dir / "git" / source_id


def drop_caches(data_dir: Path, keep: set[str]) -> None:
    """Remove the cached repositories of sources that no longer exist."""
    root = data_dir / "git"
    if root.is_dir():
        for folder in root.iterdir():
            if folder.name not in keep:
                shutil.rmtree(folder, ignore_errors=True)

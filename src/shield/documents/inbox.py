"""The inbox: a folder on the worker hosts whose files can be ingested by path.

A path is relative to the inbox and stays inside it: absolute paths, `..` and NUL bytes are
refused by form, and a symbolic link that leads outside the inbox is refused once resolved.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from shield.documents.formats import BY_EXTENSION
from shield.errors import Forbidden, InvalidInput, NotFound


def check_relative_path(path: str) -> str:
    """The normalised relative path, or ValueError saying what is wrong with it."""
    if "\x00" in path or "\\" in path:
        raise ValueError("the path may not contain NUL bytes or backslashes")
    pure = PurePosixPath(path.strip())
    if pure.is_absolute():
        raise ValueError("the path must be relative to the inbox (SHIELD_INBOX_DIR), not absolute")
    if any(part == ".." for part in pure.parts):
        raise ValueError("the path may not contain '..'")
    return str(pure)  # "." is the inbox itself


def _inside(inbox: Path, relative: str) -> Path:
    root = inbox.resolve()
    target = (root / relative).resolve()
    if target != root and root not in target.parents:
        raise Forbidden(f"{relative!r} leads outside the inbox")
    return target


def check_in_inbox(inbox: Path, relative: str) -> None:
    """NotFound unless `relative` (already checked by form) names a file or folder in the
    inbox; Forbidden if it leads outside."""
    target = _inside(inbox, relative)
    if not (target.is_file() or target.is_dir()):
        raise NotFound(
            f"{relative!r} is not in the inbox: give a file or folder path relative to it, as "
            "an operator put it there (or send the file's bytes instead)"
        )


def _resolved(inbox: Path | None, relative: str) -> tuple[Path, Path]:
    """The inbox and the place `relative` names in it, both resolved."""
    if inbox is None:
        raise InvalidInput("this worker has no inbox; set SHIELD_INBOX_DIR to read from it")
    try:
        return inbox.resolve(), _inside(inbox, check_relative_path(relative))
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None


def inbox_target(inbox: Path | None, relative: str) -> Path:
    """The folder `relative` names inside the inbox, resolved."""
    _root, target = _resolved(inbox, relative)
    if not target.is_dir():
        raise NotFound(f"{relative!r} is not a folder of the inbox")
    return target


def inbox_files(inbox: Path | None, relative: str, max_files: int) -> list[tuple[str, Path]]:
    """The files a `path` ingest reads, as (source, path): the file itself, or every file of a
    supported format under the folder (hidden files skipped), sorted."""
    root, target = _resolved(inbox, relative)
    relative = check_relative_path(relative)
    if target.is_file():
        return [(relative, target)]
    if not target.is_dir():
        raise NotFound(f"{relative!r} is not in the inbox")
    found: list[tuple[str, Path]] = []
    for path in sorted(target.rglob("*")):
        rel = path.relative_to(target)
        if any(part.startswith(".") for part in rel.parts) or not path.is_file():
            continue
        if path.suffix.lower().lstrip(".") not in BY_EXTENSION:
            continue
        resolved = path.resolve()
        if root not in resolved.parents:
            continue  # a link out of the inbox
        found.append((str(path.relative_to(root)), resolved))
        if len(found) > max_files:
            raise InvalidInput(
                f"{relative!r} holds more than {max_files} files (SHIELD_INBOX_MAX_FILES); "
                "ingest its subfolders one by one"
            )
    if not found:
        raise NotFound(f"{relative!r} holds no file of a supported format")
    return found

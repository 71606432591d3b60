"""Where the client commands find shield-api and its token: SHIELD_API_URL and SHIELD_API_TOKEN,
or a profile file of the same variables.

`shield --profile NAME` (or SHIELD_PROFILE=NAME) reads `NAME.env` in the profile folder
(`$XDG_CONFIG_HOME/shield`, else `~/.config/shield`); a NAME with a `/` in it is a file's path.
Without either, `default.env` there is read when it exists. Variables set in the environment win
over the file's. A file that holds a token must be readable by its owner alone, as ssh demands of
its keys: a token others can read is a token others can use.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from dotenv import dotenv_values

DEFAULT_PROFILE = "default"


class ProfileError(Exception):
    """A profile that cannot be used, and what to do about it."""


def profile_folder() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "shield"


def profile_path(name: str | None) -> Path | None:
    """The profile file to read, or None (no profile asked for and no default one)."""
    if name is None:
        default = profile_folder() / f"{DEFAULT_PROFILE}.env"
        return default if default.is_file() else None
    path = Path(name).expanduser() if "/" in name else profile_folder() / f"{name}.env"
    if not path.is_file():
        raise ProfileError(
            f"profile {name!r}: {path} does not exist; write SHIELD_API_URL and SHIELD_API_TOKEN "
            "in it (see docs/guides/CLI.md)"
        )
    return path


def check_private(path: Path) -> None:
    """Refuse a profile holding a token that its group or others can read."""
    if not dotenv_values(path).get("SHIELD_API_TOKEN"):
        return
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ProfileError(
            f"{path} holds a token and others can read it (mode {stat.filemode(mode)}); "
            f"run: chmod 600 {path}"
        )

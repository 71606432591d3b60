"""LightRAG pip-installs a storage backend's package the first time it is imported (through
`pipmaster`). A service must never install software at run time, so those calls fail instead,
with the name of what to pre-install."""

from __future__ import annotations

from typing import Any, NoReturn

_INSTALLERS = (
    "install",
    "install_if_missing",
    "install_multiple",
    "install_multiple_if_not_installed",
    "install_version",
    "install_requirements",
    "install_edit",
    "ensure_packages",
    "ensure_requirements",
    "async_install",
    "async_install_if_missing",
    "async_install_multiple",
    "async_ensure_packages",
    "async_ensure_requirements",
)


class RuntimeInstallRefused(RuntimeError):
    pass


def _refuse(*args: Any, **_: Any) -> NoReturn:
    wanted = ", ".join(str(a) for a in args) or "a package"
    raise RuntimeInstallRefused(
        f"LightRAG tried to install {wanted} at run time; Shield never installs software while "
        "it runs: install it with Shield's wheelhouse, or choose a storage that is installed"
    )


def forbid_runtime_installs(pipmaster: Any) -> None:
    for name in _INSTALLERS:
        if hasattr(pipmaster, name):
            setattr(pipmaster, name, _refuse)

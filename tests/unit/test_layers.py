"""The package's layers only import downwards: shared modules never import a service, and no
service imports another (docs/ARCHITECTURE.md). Lazy imports inside functions count too."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = SRC / "shield"
# The services: each may import the shared modules and itself, never another service.
SERVICES = ("shield.api", "shield.worker", "shield.mcp", "shield.graph_service")
# The command starts every service, so it alone imports them all (lazily, per command).
ENTRY_POINTS = ("shield.cli", "shield.__main__")


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return {name for name in found if name == "shield" or name.startswith("shield.")}


def service_of(module: str) -> str | None:
    return next((s for s in SERVICES if module == s or module.startswith(s + ".")), None)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m not in ENTRY_POINTS))
def test_imports_go_only_downwards(module: str) -> None:
    own = service_of(module)
    wrong = sorted(
        imported
        for imported in imports_of(MODULES[module])
        if (target := service_of(imported)) is not None and target != own
    )
    what = f"the service {own}" if own else "a shared module"
    assert not wrong, f"{module} ({what}) imports {wrong}"


def test_the_layer_rule_sees_every_service() -> None:
    for service in SERVICES:
        assert any(m == service or m.startswith(service + ".") for m in MODULES), service


# What only some hosts install (extras in pyproject.toml). Each service must load with its own
# extras and without the others', as on a host that runs it alone: the `shield` command (and so
# the client commands) with the base dependencies only.
EXTRAS_ONLY = (
    "redis", "rq", "fastapi", "fastmcp", "mcp", "lightrag", "qdrant_edge", "qdrant_client",
    "torch", "sentence_transformers", "docling", "crawl4ai", "numpy", "uvicorn", "starlette",
)  # fmt: skip
SERVICE_MODULES = {
    "the shield command": ("shield.cli", EXTRAS_ONLY),
    # shield-mcp has the redis client through pydocket (MCP tasks), but reaches no Redis.
    "shield-mcp": ("shield.mcp.server", ("rq", "qdrant_edge", "lightrag", "docling")),
    "shield-lightrag": (
        "shield.graph_service.service",
        ("redis", "rq", "qdrant_edge", "docling", "mcp"),
    ),
    # shield-api talks to the graph through shield.graph's client: LightRAG is not its own.
    "shield-api": ("shield.api.app", ("lightrag", "pipmaster", "crawl4ai", "fastmcp")),
}


@pytest.mark.parametrize("host", sorted(SERVICE_MODULES))
def test_each_service_loads_with_its_own_extras_only(host: str) -> None:
    module, absent = SERVICE_MODULES[host]
    blocked = ", ".join(repr(name) for name in absent)
    script = f"""
import importlib, sys
class Absent:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ({blocked},):
            raise ImportError(f"{{name}} is not installed on this host")
sys.meta_path.insert(0, Absent())
importlib.import_module({module!r})
if {module!r} == "shield.cli":
    from click.testing import CliRunner
    from shield.cli import main
    result = CliRunner().invoke(main, ["tokens", "--help"])
    assert result.exit_code == 0, result.output
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]

"""The documentation keeps up with the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shield.config import SERVICE_SETTINGS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("service", sorted(SERVICE_SETTINGS))
def test_every_setting_is_documented(service: str) -> None:
    text = (ROOT / "docs" / "CONFIGURATION.md").read_text()
    missing = [
        f"SHIELD_{name.upper()}"
        for name in SERVICE_SETTINGS[service].model_fields
        if f"`SHIELD_{name.upper()}`" not in text
    ]
    assert not missing, f"docs/CONFIGURATION.md does not describe {missing}"


def test_readme_test_command_is_what_ci_runs() -> None:
    assert "make test" in (ROOT / "README.md").read_text()
    assert "make test" in (ROOT / ".ci" / "run").read_text()


DOCS_WITH_MAPS = ("docs/ARCHITECTURE.md", "README.md", "CONTRIBUTING.md")


@pytest.mark.parametrize("doc", DOCS_WITH_MAPS)
def test_every_module_the_docs_name_exists(doc: str) -> None:
    """The maps of the code (where each concept lives) name modules and folders that exist."""
    text = (ROOT / doc).read_text()
    named = set(re.findall(r"`((?:src/)?shield/[\w/.]+)`", text))
    named |= {
        f"shield/{folder}/{name}"
        for folder, names in re.findall(r"`shield/(\w+)/` \(([^)]*)\)", text)
        for name in re.findall(r"`(\w+(?:\.py)?)`", names)
    }
    assert named, f"{doc} names no module"
    missing = []
    for path in sorted(named):
        relative = path.removeprefix("src/")
        candidates = [ROOT / "src" / relative, ROOT / "src" / f"{relative}.py"]
        if not any(c.exists() for c in candidates):
            missing.append(path)
    assert not missing, f"{doc} names modules that do not exist: {missing}"

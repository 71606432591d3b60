"""The documentation keeps up with the code."""

from __future__ import annotations

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

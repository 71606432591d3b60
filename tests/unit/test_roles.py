"""Every role documents each of its defaults in meta/argument_specs.yml, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = sorted(p.parent.parent for p in Path("roles").glob("*/defaults/main.yml"))


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_argument_specs_and_defaults_have_the_same_keys(role: Path) -> None:
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())
    options = specs["argument_specs"]["main"]["options"]
    assert set(defaults) == set(options), (
        f"{role.name}: only in defaults {set(defaults) - set(options)}, "
        f"only in argument_specs {set(options) - set(defaults)}"
    )
    assert all(key.startswith(f"{role.name}_") for key in defaults), "public variables are prefixed"
    assert all(option.get("description") for option in options.values())


def test_there_are_roles() -> None:
    assert ROLES, "no role found under roles/"

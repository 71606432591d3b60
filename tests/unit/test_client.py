"""The client commands' own logic, without a server: which files a folder ingest takes and what
source each gets, search filters from the command line, and profiles."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from shield.client.ingest import folder_files, local_files
from shield.client.profile import ProfileError, check_private, profile_path
from shield.client.search import parse_filters


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("docs/a.md", "docs/ops/b.md", "docs/ops/c.pdf", "docs/.cache/d.md",
                 "docs/e.bin", "docs/legal/f.txt", "docs/README"):  # fmt: skip
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(name)
    return tmp_path / "docs"


def _sources(files: list[object]) -> list[str]:
    return [file.source for file in files]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        ((), (), ["docs/a.md", "docs/legal/f.txt", "docs/ops/b.md", "docs/ops/c.pdf"]),
        (("*.md",), (), ["docs/a.md", "docs/ops/b.md"]),
        (("ops/*",), (), ["docs/ops/b.md", "docs/ops/c.pdf"]),
        (("README", "*.md"), ("ops/*",), ["docs/README", "docs/a.md"]),
        ((), ("*.pdf", "legal/*"), ["docs/a.md", "docs/ops/b.md"]),
    ],
)
def test_a_folder_takes_supported_files_filtered_by_globs_and_skips_hidden_ones(
    tree: Path, include: tuple[str, ...], exclude: tuple[str, ...], expected: list[str]
) -> None:
    assert _sources(folder_files(tree, include, exclude)) == expected


def test_sources_are_relative_to_the_current_folder_else_to_the_named_one(
    tree: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    assert _sources(local_files(["docs/ops/b.md", "docs/ops"], (), ())) == [
        "docs/ops/b.md",  # named twice, sent once
        "docs/ops/c.pdf",
    ]
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    assert _sources(local_files([str(tree / "ops")], (), ())) == ["ops/b.md", "ops/c.pdf"]
    assert _sources(local_files([str(tree / "a.md")], (), ())) == ["a.md"]


def test_missing_paths_and_empty_folders_are_refused_before_anything_is_sent(tree: Path) -> None:
    with pytest.raises(click.UsageError, match=r"docs/nope\.md: no such file or folder"):
        local_files(["docs/a.md", "docs/nope.md"], (), ())
    with pytest.raises(click.UsageError, match="no file to ingest"):
        local_files(["docs"], ("*.docx",), ())


def test_filters_pair_keys_with_values_and_a_repeated_key_matches_either() -> None:
    assert parse_filters(("source=a.md", "metadata.team=red", "metadata.team=blue")) == {
        "source": "a.md",
        "metadata.team": ["red", "blue"],
    }
    assert parse_filters(("title=a=b",)) == {"title": "a=b"}
    for bad in ("source", "=a.md"):
        with pytest.raises(click.BadParameter, match="is not key=value"):
            parse_filters((bad,))


def test_profiles_are_found_by_name_or_path_and_must_be_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert profile_path(None) is None  # no default profile: the environment alone
    folder = tmp_path / "shield"
    folder.mkdir()
    ops = folder / "ops.env"
    ops.write_text("SHIELD_API_URL=https://shield.example.org\n")
    ops.chmod(0o644)
    assert profile_path("ops") == ops
    assert profile_path(str(ops)) == ops
    check_private(ops)  # no token in it: nothing to protect
    ops.write_text("SHIELD_API_TOKEN=0123456789abcdef0123\n")
    with pytest.raises(ProfileError, match=f"chmod 600 {ops}"):
        check_private(ops)
    ops.chmod(0o600)
    check_private(ops)
    (folder / "default.env").write_text("")
    assert profile_path(None) == folder / "default.env"
    with pytest.raises(ProfileError, match=r"staging\.env does not exist"):
        profile_path("staging")

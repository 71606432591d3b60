"""`make release VERSION=x.y.z` in a clone of this repository: what it refuses, leaving the clone
as it was, and what it builds (the images are left out here: tests/containers builds them)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def run(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: PLW1510 - the caller checks
        list(argv), cwd=cwd, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone with this checkout's virtualenv and its wheelhouse's dependencies (hard links):
    the release builds only Shield's own wheel anew."""
    assert run("scripts/wheelhouse.sh", cwd=ROOT).returncode == 0
    folder = tmp_path_factory.mktemp("release") / "shield"
    assert run("git", "clone", "-q", str(ROOT), str(folder), cwd=ROOT).returncode == 0
    for step in (
        ["git", "config", "user.email", "release@example.org"],
        ["git", "config", "user.name", "Release Test"],
        ["ln", "-s", str(ROOT / ".venv"), ".venv"],
        ["mkdir", "-p", ".cache"],
    ):
        assert run(*step, cwd=folder).returncode == 0, step
    # Hard links where the two folders share a filesystem, a copy where they do not.
    wheelhouse = str(ROOT / ".cache" / "wheelhouse")
    if run("cp", "-al", wheelhouse, ".cache/wheelhouse", cwd=folder).returncode != 0:
        shutil.rmtree(folder / ".cache" / "wheelhouse", ignore_errors=True)
        assert run("cp", "-a", wheelhouse, ".cache/wheelhouse", cwd=folder).returncode == 0
    return folder


def release(clone: Path, version: str) -> subprocess.CompletedProcess[str]:
    return run("scripts/release.sh", version, "--no-images", cwd=clone)


def version_of(clone: Path) -> str:
    text = (clone / "src" / "shield" / "__init__.py").read_text()
    return text.split('__version__ = "')[1].split('"')[0]


@pytest.mark.parametrize(
    ("version", "said"),
    [
        ("1.2", "is not a version"),
        ("v1.2.3", "is not a version"),
        ("0.0.9", "is not newer than the current version"),
        ("01.2.3", "is not a version"),
    ],
)
def test_a_bad_version_is_refused_and_nothing_changes(clone: Path, version: str, said: str) -> None:
    before = version_of(clone)
    refused = release(clone, version)
    assert refused.returncode == 2
    assert said in refused.stderr
    assert version_of(clone) == before
    assert run("git", "status", "--porcelain", cwd=clone).stdout == ""


def test_the_current_version_is_refused_once_it_is_tagged(clone: Path) -> None:
    """The current version may be cut once (the first release); a tag of it says it was."""
    current = version_of(clone)
    tagged = run("git", "rev-parse", "-q", "--verify", f"refs/tags/v{current}", cwd=clone)
    if tagged.returncode != 0:
        assert run("git", "tag", f"v{current}", cwd=clone).returncode == 0
    try:
        refused = release(clone, current)
        assert refused.returncode == 2
        assert "is not newer than the current version" in refused.stderr
    finally:
        if tagged.returncode != 0:
            run("git", "tag", "-d", f"v{current}", cwd=clone)


def test_a_clone_without_tags_knows_the_releases_by_their_commits(
    clone: Path, tmp_path: Path
) -> None:
    """CI checkouts often come without tags: the "Release X.Y.Z" commit stands for the tag, both
    to refuse cutting the current version again and to find the previous release to upgrade from."""
    current = version_of(clone)
    released = run("git", "log", "--format=%H", f"--grep=^Release {current}$", cwd=clone).stdout
    assert released, f"no 'Release {current}' commit: {current} was never released"
    tagless = tmp_path / "tagless"
    assert (
        run("git", "clone", "-q", "--no-tags", str(clone), str(tagless), cwd=tmp_path).returncode
        == 0
    )
    assert run("git", "tag", cwd=tagless).stdout == ""
    assert run("ln", "-s", str(ROOT / ".venv"), ".venv", cwd=tagless).returncode == 0

    refused = release(tagless, current)
    assert refused.returncode == 2
    assert "is not newer than the current version" in refused.stderr

    (tagless / ".cache").mkdir()
    assert (
        run(
            "ln", "-s", str(clone / ".cache" / "wheelhouse"), ".cache/wheelhouse", cwd=tagless
        ).returncode
        == 0
    )
    previous = run("scripts/previous-release.sh", cwd=tagless)
    assert previous.returncode == 0, previous.stderr
    assert (tagless / ".cache/previous/tag").read_text().split() == [
        f"v{current}",
        released.split()[0],
    ]
    assert (tagless / f".cache/previous/wheelhouse/shield-{current}-py3-none-any.whl").is_file()


def test_a_dirty_tree_is_refused(clone: Path) -> None:
    readme = clone / "README.md"
    original = readme.read_text()
    readme.write_text(original + "\nan edit not committed\n")
    try:
        refused = release(clone, "9.0.0")
        assert refused.returncode == 2
        assert "uncommitted changes" in refused.stderr
    finally:
        readme.write_text(original)


def test_a_release_is_built_committed_and_tagged(clone: Path) -> None:
    # Something to release, whatever this checkout's Unreleased section holds now.
    changelog = clone / "CHANGELOG.md"
    changelog.write_text(
        changelog.read_text().replace(
            "## [Unreleased]\n", "## [Unreleased]\n### Fixed\n- A fix this test releases.\n", 1
        )
    )
    assert run("git", "commit", "-q", "-am", "A note to release", cwd=clone).returncode == 0
    previous = version_of(clone)
    major, minor, _ = (int(part) for part in previous.split("."))
    version = f"{major}.{minor + 1}.0"
    done = release(clone, version)
    assert done.returncode == 0, done.stdout + done.stderr
    assert version_of(clone) == version
    assert run("git", "describe", "--exact-match", cwd=clone).stdout.strip() == f"v{version}"
    assert run("git", "status", "--porcelain", cwd=clone).stdout == ""
    changelog = (clone / "CHANGELOG.md").read_text()
    assert f"## [Unreleased]\n\n## [{version}] - " in changelog  # the notes moved under it

    out = clone / "dist" / f"shield-{version}"
    wheel = out / f"shield-{version}-py3-none-any.whl"
    names = {path.name for path in out.iterdir()}
    assert names == {
        wheel.name,
        f"shield-{version}-wheelhouse.tar",
        f"shield-{version}.cdx.json",
        "SHA256SUMS",
    }
    assert run("sha256sum", "--check", "--quiet", "SHA256SUMS", cwd=out).returncode == 0
    with zipfile.ZipFile(wheel) as archive:
        assert f"shield-{version}.dist-info/METADATA" in archive.namelist()
    sbom = json.loads((out / f"shield-{version}.cdx.json").read_text())
    components = {c["name"].lower(): c for c in sbom["components"]}
    assert "torch" in components
    assert "fastmcp" in components
    torch_hash = components["torch"]["externalReferences"][0]["hashes"][0]
    assert torch_hash["alg"] == "SHA-256"
    assert len(torch_hash["content"]) == 64
    wheels = run("tar", "-tf", f"shield-{version}-wheelhouse.tar", cwd=out).stdout.split()
    assert wheel.name in wheels
    assert len(components) == len(wheels) - 1  # every wheel but Shield's own

    # Reproducible: the same commit builds the same wheel, byte for byte.
    again = clone.parent / "again"
    rebuilt = subprocess.run(
        [".venv/bin/pip", "wheel", "-q", "--no-deps", "-w", str(again), "."],
        cwd=clone, env={"SOURCE_DATE_EPOCH": "315532800", "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert rebuilt.returncode == 0, rebuilt.stderr
    digest = hashlib.sha256((again / wheel.name).read_bytes()).hexdigest()
    assert digest == hashlib.sha256(wheel.read_bytes()).hexdigest()

    # The notes are spent: the same release, or another with nothing new, is refused.
    assert "exists already" in release(clone, version).stderr or release(clone, version).returncode
    empty = release(clone, f"{major}.{minor + 2}.0")
    assert empty.returncode == 2
    assert "Unreleased section is empty" in empty.stderr

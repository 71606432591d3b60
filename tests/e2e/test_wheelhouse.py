"""The air-gapped install path: the wheelhouse the project builds installs each service with no
package index at all."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(*argv: str | Path, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: PLW1510 - the caller checks
        [str(a) for a in argv], capture_output=True, text=True, timeout=600, **kw
    )


def test_shield_mcp_installs_from_the_wheelhouse_alone(tmp_path: Path) -> None:
    built = run(ROOT / "scripts" / "wheelhouse.sh", cwd=ROOT)
    assert built.returncode == 0, built.stderr
    wheelhouse = ROOT / ".cache" / "wheelhouse"
    venv = tmp_path / "venv"
    assert run(sys.executable, "-m", "venv", venv).returncode == 0
    installed = run(
        venv / "bin" / "pip",
        "install",
        "--no-index",
        "--find-links",
        wheelhouse,
        "shield[mcp]",
        env={"PATH": "/usr/bin:/bin", "PIP_CONFIG_FILE": "/dev/null"},
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    version = run(venv / "bin" / "shield", "--version")
    assert version.returncode == 0
    assert version.stdout.startswith("shield, version")
    # The MCP host gets no torch: its extra does not need one.
    assert run(venv / "bin" / "python", "-c", "import torch").returncode != 0

"""compose.yaml as an operator runs it: the images it names here, and a folder set up as the
operator's would be (the file, its helpers, Shield's Prometheus rules, fresh secrets)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# No registry is reachable here: Redis and Prometheus are built on Debian (compose-images.sh).
IMAGES = {
    "SHIELD_IMAGE": os.environ.get("SHIELD_IMAGE", "localhost/shield:latest"),
    "SHIELD_REDIS_IMAGE": "localhost/shield-redis:bookworm",
    "SHIELD_PROMETHEUS_IMAGE": "localhost/shield-prometheus:bookworm",
}


def compose_folder(folder: Path) -> Path:
    """`folder` with compose.yaml, compose/ and the rules, and secrets from compose/secrets.sh."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "compose.yaml", folder)
    shutil.copytree(ROOT / "compose", folder / "compose", ignore=shutil.ignore_patterns("secrets"))
    shutil.copytree(ROOT / "monitoring" / "rules", folder / "monitoring" / "rules")
    subprocess.run(["sh", "compose/secrets.sh"], cwd=folder, check=True, capture_output=True)
    return folder

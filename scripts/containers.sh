#!/usr/bin/env bash
# Builds Shield's image and the compose test images, then runs tests/containers (compose.yaml
# with podman-compose), into var/containers.log; prints the checks and the time like
# scripts/molecule.sh, beside whose scenarios CI runs it. Expects the wheelhouse.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
log=var/containers.log
start=$(date +%s)
if { scripts/compose-images.sh && .venv/bin/pytest -p no:randomly -m containers tests/containers; } >"$log" 2>&1; then
    echo "containers: $(grep -oE '[0-9]+ passed' "$log" | tail -1), $(($(date +%s) - start)) s; $(grep -E '^image: ' "$log" | tail -1)"
else
    echo "containers FAILED after $(($(date +%s) - start)) s; the end of $log:"
    grep -E -A15 '^E  |Error' "$log" | head -60 || true
    tail -40 "$log"
    exit 1
fi

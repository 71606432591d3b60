#!/usr/bin/env bash
# The images the tests run compose.yaml with: Shield's (scripts/image.sh), and Redis and
# Prometheus from Debian's packages on the same base (no registry is needed). Cached.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/image.sh
for target in redis prometheus; do
    image=localhost/shield-$target:bookworm
    if ! podman image exists "$image"; then
        echo "compose-images: building $image"
        podman build -q --pull=never --target "$target" -t "$image" -f compose/Containerfile.deps compose >/dev/null
    fi
done

#!/usr/bin/env bash
# Builds Shield's OCI image, localhost/shield:<version> (and :latest), from the Containerfile and
# the wheelhouse. Cached: the image is rebuilt only when the wheelhouse or the Containerfile
# changed (their checksum is a label of the image).
#   scripts/image.sh [--base IMAGE]
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p var

base=localhost/shield-base:bookworm-ocr-git
[[ ${1:-} == --base ]] && base=$2
version=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' src/shield/__init__.py)
image=${SHIELD_IMAGE:-localhost/shield}

[[ $base == localhost/shield-base:bookworm-ocr-git ]] && scripts/container-base.sh
scripts/wheelhouse.sh >/dev/null
inputs=$( (cat Containerfile .containerignore constraints.txt; ls -l --time-style=+ .cache/wheelhouse/*.whl; echo "$base") | sha256sum | cut -c1-16)
if [[ $(podman image inspect --format '{{ index .Labels "shield.inputs" }}' "$image:$version" 2>/dev/null) == "$inputs" ]]; then
    echo "image: $image:$version is current"
    exit 0
fi
echo "image: building $image:$version on $base (a few minutes)"
start=$(date +%s)
# Docker's format keeps HEALTHCHECK (the OCI format has no such field).
podman build --format docker --pull=never --build-arg "BASE=$base" --build-arg "VERSION=$version" \
    --label "shield.inputs=$inputs" -t "$image:$version" -t "$image:latest" -f Containerfile . >var/image-build.log 2>&1 \
    || { echo "image: the build failed; the end of var/image-build.log:" >&2; tail -30 var/image-build.log >&2; exit 1; }
podman image prune -f >/dev/null  # the build stage's wheels
echo "image: $image:$version in $(($(date +%s) - start)) s, $(podman image inspect --format '{{ .Size }}' "$image:$version" | numfmt --to=iec)"

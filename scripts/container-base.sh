#!/usr/bin/env bash
# Builds the base Shield's OCI image is built on here (Containerfile's BASE): Debian 12 from
# debootstrap with Python 3.11, its venv module, CA certificates, git (Git sources) and Tesseract
# with English (OCR of scans and photos); no systemd, no compiler, no package cache. (Its tag
# names what it holds: a base built before git or OCR is not taken for this one.) Elsewhere,
# pass your registry's Debian 12 image as BASE instead. Idempotent: an existing image is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

image=${SHIELD_BASE_IMAGE:-localhost/shield-base:bookworm-ocr-git}
scripts/container-image.sh  # podman, runc and its configuration, as the Molecule image needs
if podman image exists "$image"; then
    exit 0
fi

SHIELD_SLIM_IMAGE=1 scripts/debootstrap-image.sh "$image" \
    python3,python3-venv,ca-certificates,git,tesseract-ocr,tesseract-ocr-eng,tesseract-ocr-osd

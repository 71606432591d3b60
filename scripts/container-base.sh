#!/usr/bin/env bash
# Builds the base Shield's OCI image is built on here (Containerfile's BASE): Debian 12 from
# debootstrap with Python 3.11, its venv module and CA certificates; no systemd, no compiler, no
# package cache. Elsewhere, pass your registry's Debian 12 image as BASE instead. Idempotent: an
# existing image is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

image=${SHIELD_BASE_IMAGE:-localhost/shield-base:bookworm}
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)

scripts/container-image.sh  # podman, runc and its configuration, as the Molecule image needs
if podman image exists "$image"; then
    exit 0
fi

mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[[ -n $mirror ]] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[[ -n $mirror ]] || { echo "container-base: no Debian mirror found in apt's sources" >&2; exit 1; }

rootfs=$(mktemp -d)
trap '"${sudo_cmd[@]}" rm -rf "$rootfs"' EXIT
echo "container-base: building $image (about a minute)"
"${sudo_cmd[@]}" debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    bookworm "$rootfs" "$mirror" >/dev/null
"${sudo_cmd[@]}" cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
"${sudo_cmd[@]}" rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
"${sudo_cmd[@]}" tar -C "$rootfs" -c . | podman import - "$image" >/dev/null
echo "container-base: $image is ready"

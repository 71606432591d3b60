#!/usr/bin/env bash
# Builds a Debian 12 image with debootstrap from the mirror this host's apt already uses (no
# image registry is needed): minbase and PACKAGES, no apt cache, an empty machine-id (each
# container gets its own), this host's CA bundle. Used by container-image.sh (Molecule's systemd
# image) and container-base.sh (the base of Shield's OCI image; SHIELD_SLIM_IMAGE=1 leaves out
# manuals and translations).
#   scripts/debootstrap-image.sh IMAGE PACKAGES [podman-import --change ...]
set -euo pipefail
image=$1 packages=$2
shift 2
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)

mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[[ -n $mirror ]] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[[ -n $mirror ]] || { echo "debootstrap-image: no Debian mirror found in apt's sources" >&2; exit 1; }

rootfs=$(mktemp -d)
trap '"${sudo_cmd[@]}" rm -rf "$rootfs"' EXIT
echo "debootstrap-image: building $image (a minute or two)"
"${sudo_cmd[@]}" debootstrap --variant=minbase --include="$packages" bookworm "$rootfs" "$mirror" >/dev/null
: | "${sudo_cmd[@]}" tee "$rootfs/etc/machine-id" >/dev/null
"${sudo_cmd[@]}" cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
"${sudo_cmd[@]}" rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
if [[ ${SHIELD_SLIM_IMAGE:-} == 1 ]]; then  # an image to ship: no manuals or translations
    "${sudo_cmd[@]}" rm -rf "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
fi
"${sudo_cmd[@]}" tar -C "$rootfs" -c . | podman import "$@" - "$image" >/dev/null 2>&1
echo "debootstrap-image: $image is ready"

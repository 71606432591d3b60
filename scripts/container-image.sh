#!/usr/bin/env bash
# Builds the systemd container image that Molecule and `make up` run Shield's roles in:
# Debian 12 with systemd as PID 1, Python 3 and sudo, nothing else. Idempotent and cached: an
# existing image is kept (delete it with `podman image rm` to rebuild). Also configures podman
# the way these hosts need (runc, nofile limits within the host's hard limit).
set -euo pipefail
cd "$(dirname "$0")/.."

image=${SHIELD_TEST_IMAGE:-localhost/shield-systemd:bookworm}
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)

missing=()
for pkg in podman runc debootstrap; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "container-image: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}" >/dev/null \
        || { "${sudo_cmd[@]}" apt-get update -q >/dev/null && "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}" >/dev/null; }
fi

conf=/etc/containers/containers.conf
if ! grep -qs '^runtime = "runc"' "$conf"; then
    # crun fails on these hosts (cgroups in hybrid mode); podman's default nofile is above the
    # hard limit.
    "${sudo_cmd[@]}" mkdir -p /etc/containers
    "${sudo_cmd[@]}" tee "$conf" >/dev/null <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
CONF
fi

if podman image exists "$image"; then
    exit 0
fi

# The Debian mirror this host's apt already uses.
mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[[ -n $mirror ]] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
[[ -n $mirror ]] || { echo "container-image: no Debian mirror found in apt's sources" >&2; exit 1; }

rootfs=$(mktemp -d)
trap '"${sudo_cmd[@]}" rm -rf "$rootfs"' EXIT
echo "container-image: building $image (about a minute and a half)"
"${sudo_cmd[@]}" debootstrap --variant=minbase \
    --include=python3,systemd,systemd-sysv,sudo,iproute2,ca-certificates,curl \
    bookworm "$rootfs" "$mirror" >/dev/null
: | "${sudo_cmd[@]}" tee "$rootfs/etc/machine-id" >/dev/null  # each container gets its own id
"${sudo_cmd[@]}" cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
"${sudo_cmd[@]}" rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
"${sudo_cmd[@]}" tar -C "$rootfs" -c . | podman import --change 'CMD ["/sbin/init"]' - "$image" >/dev/null
echo "container-image: $image is ready"

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

scripts/debootstrap-image.sh "$image" python3,systemd,systemd-sysv,sudo,iproute2,ca-certificates,curl \
    --change 'CMD ["/sbin/init"]'

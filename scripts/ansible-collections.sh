#!/usr/bin/env bash
# Puts the Ansible collections Shield's roles and tests use into .cache/ansible/collections,
# taken from the `ansible` package on PyPI (Ansible Galaxy is not reachable from every host).
# Idempotent: skipped when the wanted version is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
version=12.3.0
dest=.cache/ansible/collections
stamp=$dest/.ansible-$version
[[ -f $stamp ]] && exit 0
mkdir -p .cache/ansible/wheel "$dest/ansible_collections"
.venv/bin/pip download -q --no-deps -d .cache/ansible/wheel "ansible==$version"
wheel=$(ls .cache/ansible/wheel/ansible-"$version"-*.whl)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
.venv/bin/python - "$wheel" "$tmp" <<'PY'
import sys, zipfile
wanted = ("ansible_collections/containers/podman/", "ansible_collections/ansible/posix/",
          "ansible_collections/community/general/")
with zipfile.ZipFile(sys.argv[1]) as wheel:
    for name in wheel.namelist():
        if name.startswith(wanted):
            wheel.extract(name, sys.argv[2])
PY
rm -rf "$dest/ansible_collections"
mv "$tmp/ansible_collections" "$dest/"
touch "$stamp"
echo "ansible-collections: containers.podman, ansible.posix, community.general ($version) ready"

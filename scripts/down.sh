#!/usr/bin/env bash
# `make down`: removes what `make up` created: the container and everything in it. The tokens in
# inventories/local/.secrets/ and the files in var/inbox/ are kept for the next `make up`.
set -euo pipefail
if podman container exists shield-local; then
    podman rm -f -t 30 shield-local >/dev/null
    echo "make down: removed the container shield-local"
else
    echo "make down: nothing to remove"
fi

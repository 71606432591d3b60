#!/usr/bin/env bash
# Builds the wheelhouse: every wheel Shield's services need (torch pinned to its CPU build by
# constraints.txt), so that hosts install with `pip install --no-index --find-links WHEELHOUSE`
# and never reach a package index. Cached: the dependencies are fetched again only when
# pyproject.toml or constraints.txt change; Shield's own wheel when its sources change.
#   scripts/wheelhouse.sh [DEST]     (default .cache/wheelhouse, and its archive DEST.tar)
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${1:-.cache/wheelhouse}
extras='api,worker,mcp,lightrag,local-embeddings,eval'
target_only=(async-timeout==5.0.1)
host_python=3.11.2  # Debian 12's
mkdir -p "$dest"
want=$(cat pyproject.toml constraints.txt "$0" | sha256sum | cut -c1-16)
if [[ ! -f $dest/.deps-$want ]]; then
    echo "wheelhouse: collecting the dependencies into $dest"
    # Into a new folder, taking the wheels already here first: a wheel the new resolution no
    # longer wants (an older version) must not stay beside its successor.
    fresh=$dest.new
    rm -rf "$fresh"
    mkdir -p "$fresh"
    if ! .venv/bin/pip wheel -q -c constraints.txt --find-links "$dest" -w "$fresh" ".[$extras]" \
        >"$fresh/.pip.log" 2>&1; then
        grep -v "^WARNING: Location" "$fresh/.pip.log" >&2
        exit 1
    fi
    # Wheels the hosts need although this controller does not: Debian 12's Python is 3.11.2,
    # and redis wants async-timeout below 3.11.3.
    if ! .venv/bin/pip download -q --no-deps --find-links "$dest" -d "$fresh" "${target_only[@]}" \
        >"$fresh/.pip.log" 2>&1; then
        grep -v "^WARNING: Location" "$fresh/.pip.log" >&2
        exit 1
    fi
    rm -rf "$dest"
    mv "$fresh" "$dest"
    # A wheel the hosts' Python cannot install would send their pip into hours of backtracking:
    # refuse it here, by name (pin an older version in constraints.txt).
    if ! .venv/bin/python - "$dest" "$host_python" <<'PY'
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.specifiers import SpecifierSet

folder, version = Path(sys.argv[1]), sys.argv[2]
refused = []
for wheel in sorted(folder.glob("*.whl")):
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = Parser().parsestr(archive.read(name).decode("utf-8", "replace"), True)
    wanted = metadata.get("Requires-Python")
    if wanted and version not in SpecifierSet(wanted):
        refused.append(f"{wheel.name} (Python {wanted})")
if refused:
    sys.exit(f"wheelhouse: the hosts' Python {version} cannot install: " + ", ".join(refused))
PY
    then
        exit 1
    fi
    touch "$dest/.deps-$want"
fi
# Shield's own wheel is rebuilt only when its sources change, and built reproducibly: a wheel
# whose checksum changes makes every host reinstall Shield and restart its services.
source_hash=$( (sha256sum pyproject.toml; find src -type f ! -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16)
if [[ ! -f $dest/.shield-$source_hash ]] || ! ls "$dest"/shield-*.whl >/dev/null 2>&1; then
    rm -f "$dest"/shield-*.whl "$dest"/.shield-*
    if ! SOURCE_DATE_EPOCH=315532800 .venv/bin/pip wheel -q --no-deps -w "$dest" . >"$dest/.pip.log" 2>&1; then
        grep -v "^WARNING: Location" "$dest/.pip.log" >&2
        exit 1
    fi
    touch "$dest/.shield-$source_hash"
fi
# One archive of the wheels, for the roles to copy to hosts as a single file
# (shield_common_wheelhouse_archive); rewritten only when a wheel changed, byte for byte the same.
wheels_hash=$(cd "$dest" && sha256sum -- *.whl | sha256sum | cut -c1-16)
if [[ ! -f $dest.tar || ! -f $dest/.tar-$wheels_hash ]]; then
    rm -f "$dest"/.tar-*
    tar -C "$dest" --sort=name --mtime=@315532800 --owner=0 --group=0 --numeric-owner \
        -cf "$dest.tar.tmp" $(cd "$dest" && ls -- *.whl)
    mv "$dest.tar.tmp" "$dest.tar"
    touch "$dest/.tar-$wheels_hash"
fi
echo "wheelhouse: $(ls "$dest"/*.whl | wc -l) wheels in $dest ($(du -sh "$dest" | cut -f1))"

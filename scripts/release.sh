#!/usr/bin/env bash
# Cuts a release (docs/RELEASING.md): `make release VERSION=x.y.z`.
#   scripts/release.sh X.Y.Z [--no-images]
# Refuses a tree with uncommitted changes, a version that is not x.y.z or not newer than the
# current one (the current one itself is allowed once, untagged: the first release), an
# existing tag, and an empty Unreleased section. Then it sets the version (in
# src/shield/__init__.py alone), moves CHANGELOG's Unreleased notes under it, and builds into
# dist/shield-X.Y.Z/: Shield's wheel (reproducible: the same commit gives the same bytes), the
# wheelhouse archive, the OCI image (podman save), a CycloneDX SBOM of every wheel, and
# SHA256SUMS. Only when all of it is built does it commit "Release X.Y.Z" and tag vX.Y.Z; a
# failure on the way puts the version and CHANGELOG back.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "release: $*" >&2; exit 2; }
version=${1:-}
images=1
[[ ${2:-} == --no-images ]] && images=0
[[ $version =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]] \
    || fail "'$version' is not a version: give VERSION=x.y.z (three numbers, semantic versioning)"
current=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' src/shield/__init__.py)
# The current version may be released once, the first time (it has no tag yet); after that a
# release is newer than it. A clone without tags still has the release commit.
tagged=0
git rev-parse -q --verify "refs/tags/v$current" >/dev/null && tagged=1
[[ -n $(git log -1 --format=%H --grep="^Release ${current//./\\.}\$" HEAD) ]] && tagged=1
.venv/bin/python -c '
import sys
from packaging.version import Version
new, now, tagged = Version(sys.argv[1]), Version(sys.argv[2]), sys.argv[3] == "1"
sys.exit(new < now or (new == now and tagged))' "$version" "$current" "$tagged" \
    || fail "$version is not newer than the current version $current"
[[ -z $(git status --porcelain) ]] \
    || fail "the tree has uncommitted changes (git status): commit or stash them, so that the release is exactly a commit"
! git rev-parse -q --verify "refs/tags/v$version" >/dev/null || fail "tag v$version exists already"
notes=$(awk '/^## \[Unreleased\]/ {on=1; next} /^## \[/ {on=0} on && /^- /' CHANGELOG.md | wc -l)
((notes > 0)) || fail "CHANGELOG.md's Unreleased section is empty: say what this release changes"

restore() { git checkout -q -- src/shield/__init__.py CHANGELOG.md; }
trap 'echo "release: failed; the version and CHANGELOG are as they were" >&2; restore' ERR

today=$(date -u +%Y-%m-%d)
sed -i "s/^__version__ = \".*\"/__version__ = \"$version\"/" src/shield/__init__.py
sed -i "s/^## \[Unreleased\]$/## [Unreleased]\n\n## [$version] - $today/" CHANGELOG.md

out=dist/shield-$version
rm -rf "$out"
mkdir -p "$out"
echo "release: building $out"
scripts/wheelhouse.sh >/dev/null
cp .cache/wheelhouse/shield-"$version"-*.whl "$out/"
cp .cache/wheelhouse.tar "$out/shield-$version-wheelhouse.tar"
# The SBOM: every wheel the hosts install, by name, version and SHA-256.
.venv/bin/python - .cache/wheelhouse >"$out/requirements.txt" <<'PY'
import hashlib
import sys
from pathlib import Path

for wheel in sorted(Path(sys.argv[1]).glob("*.whl")):
    name, version = wheel.name.split("-")[:2]
    if name == "shield":
        continue
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    print(f"{name}=={version} --hash=sha256:{digest}")
PY
.venv/bin/cyclonedx-py requirements --pyproject pyproject.toml --output-reproducible --of JSON \
    -o "$out/shield-$version.cdx.json" "$out/requirements.txt" 2>/dev/null
rm "$out/requirements.txt"
if ((images)); then
    scripts/image.sh
    podman save --format oci-archive -o "$out/shield-$version-image.tar" "localhost/shield:$version" 2>/dev/null
fi
(cd "$out" && sha256sum -- * >SHA256SUMS)

trap - ERR
git commit -q -m "Release $version" src/shield/__init__.py CHANGELOG.md
git tag -a "v$version" -m "Shield $version"
echo "release: v$version tagged; in $out:"
(cd "$out" && ls -l --time-style=+ | tail -n +2 | awk '{print "  " $NF " (" $5 " bytes)"}')
echo "release: push it with: git push origin HEAD v$version"

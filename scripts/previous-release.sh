#!/usr/bin/env bash
# Builds the previous release from its tag, for the upgrade scenario (molecule/upgrade): its
# sources (site.yml and the roles, as an operator has them) and its wheelhouse (Shield's wheel of
# that release, beside the dependency wheels of the current wheelhouse, a superset of what it
# needs). Cached per tag.
#   scripts/previous-release.sh [TAG]    (default: the newest release tag, v*, or release commit)
# Writes .cache/previous/{src,wheelhouse,tag}.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -n ${1:-} ]]; then
    tag=$1 commit=$(git rev-parse "$1^{commit}")
elif tag=$(git describe --tags --abbrev=0 --match 'v[0-9]*' 2>/dev/null); then
    commit=$(git rev-parse "$tag^{commit}")
else
    if [[ $(git rev-parse --is-shallow-repository) == true ]]; then
        git fetch -q --unshallow 2>/dev/null || true
    fi
    # A clone may come without tags (a CI checkout often does): the release commit that
    # scripts/release.sh makes ("Release X.Y.Z") names the same tree.
    commit=$(git log -1 --format=%H --grep='^Release [0-9][0-9.]*$' HEAD)
    if [[ -z $commit ]]; then
        echo "previous-release: no release in this clone's history (no v* tag, no \"Release X.Y.Z\" commit); clone with the full history" >&2
        exit 1
    fi
    tag=v$(git log -1 --format=%s "$commit" | cut -d' ' -f2)
fi
dest=.cache/previous
if [[ -f $dest/tag && $(cat "$dest/tag") == "$tag $commit" ]]; then
    echo "previous-release: $tag is current in $dest"
    exit 0
fi
scripts/wheelhouse.sh >/dev/null  # the dependencies, shared with the current release
rm -rf "$dest"
mkdir -p "$dest/src" "$dest/wheelhouse"
git archive "$commit" | tar -x -C "$dest/src"
for wheel in .cache/wheelhouse/*.whl; do
    [[ $(basename "$wheel") == shield-* ]] || ln "$wheel" "$dest/wheelhouse/"
done
if ! SOURCE_DATE_EPOCH=315532800 .venv/bin/pip wheel -q --no-deps --no-build-isolation -w "$dest/wheelhouse" "$dest/src" \
    >"$dest/pip.log" 2>&1; then
    grep -v "^WARNING: Location" "$dest/pip.log" >&2
    exit 1
fi
echo "$tag $commit" > "$dest/tag"
echo "previous-release: $tag in $dest ($(ls "$dest/wheelhouse" | wc -l) wheels)"

#!/usr/bin/env bash
# Runs Molecule scenarios, each into var/molecule-NAME.log, and prints each one's checks and time.
#   scripts/molecule.sh all         the platform's scenario beside the roles', and the image and
#                                   compose.yaml's tests (scripts/containers.sh) beside them (CI)
#   scripts/molecule.sh roles       every role's scenario, MOLECULE_JOBS (2) at a time
#   scripts/molecule.sh platform    the whole platform (molecule/default)
#   scripts/molecule.sh upgrade     from the previous release to this one and back (molecule/upgrade)
# Expects the image, the collections and the wheelhouse (the Makefile's molecule targets build them).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/.venv/bin:$PATH ANSIBLE_CONFIG=$PWD/ansible.cfg
mkdir -p var

run() {  # name, directory, [scenario]
    local start log=var/molecule-$1.log
    start=$(date +%s)
    if (cd "$2" && molecule test -s "${3:-default}") >"$log" 2>&1; then
        echo "molecule: $1: $(grep -oE '[0-9]+ passed' "$log" | tail -1), $(($(date +%s) - start)) s"
    else
        # What failed first (Molecule's own summary comes after its destroy), then the end.
        echo "molecule: $1 FAILED after $(($(date +%s) - start)) s; what failed in $log:"
        grep -E -A15 'fatal: \[|failed: \[|FAILED!|^E  |Error:' "$log" | head -60 || true
        echo "molecule: $1: the end of $log:"
        tail -30 "$log"
        return 1
    fi
}
export -f run

case ${1:-roles} in
    roles)
        # The longest first, so that the short ones fill in beside it.
        longest=(orchestrator_workers orchestrator_lightrag orchestrator_fastapi prometheus)
        for scenario in roles/*/molecule/default; do
            role=${scenario#roles/}
            role=${role%%/*}
            rank=1
            for i in "${!longest[@]}"; do [[ ${longest[$i]} == "$role" ]] && rank=0$i; done
            echo "$rank $role roles/$role"
        done | sort | cut -d' ' -f2- | xargs -P "${MOLECULE_JOBS:-2}" -L 1 bash -c 'run "$0" "$1"'
        ;;
    platform) run platform . ;;
    upgrade) run upgrade . upgrade ;;
    all)
        # Scenarios wait on containers (systemd, apt, pip, podman exec) far more than they use
        # the CPU, and their containers and Molecule state are their own: the platform's, the
        # longest, runs beside the roles'.
        run platform . &
        platform=$!
        run upgrade . upgrade &
        upgrade=$!
        # The image and compose.yaml's test wait on podman as the scenarios do: beside them.
        scripts/containers.sh &
        containers=$!
        status=0
        scripts/molecule.sh roles || status=1
        wait "$platform" || status=1
        wait "$upgrade" || status=1
        wait "$containers" || status=1
        exit "$status"
        ;;
    *) echo "usage: $0 all|roles|platform|upgrade" >&2; exit 2 ;;
esac

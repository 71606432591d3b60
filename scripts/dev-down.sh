#!/usr/bin/env bash
# Stops what `make dev-up` started (data under var/ is kept; delete var/ to start afresh).
set -euo pipefail
cd "$(dirname "$0")/.."
run=var/run
for name in mcp worker api lightrag redis; do
    pidfile=$run/$name.pid
    [[ -f $pidfile ]] || continue
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
        echo "stopped $name"
    fi
    rm -f "$pidfile"
done

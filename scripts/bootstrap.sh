#!/usr/bin/env bash
# Installs what Shield's tests and local runs need, idempotently:
#   - Debian packages (redis-server; wrk with --bench) when they are missing;
#   - the virtualenv .venv with the package, every extra and the dev tools, torch pinned to the
#     CPU build by constraints.txt. Skipped when pyproject.toml and constraints.txt are unchanged;
#   - the third-party clients of the tests (tests/clients: MCP clients, axe-core), from their
#     npm lock file.
# `bootstrap.sh --deploy` installs only what deploying needs (`make up`): Ansible and Molecule's
# tools in .venv, no Debian package, no test tool, no service dependency (the hosts get those
# from the wheelhouse). A later full bootstrap adds the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}

if [[ ${1:-} == --deploy ]]; then
    want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
    for stamp in .venv/.shield-deps .venv/.shield-deploy-deps; do
        [[ -f $stamp && $(cat "$stamp") == "$want" ]] && exit 0
    done
    [[ -x .venv/bin/python ]] || "$python" -m venv .venv
    echo "bootstrap: installing the deployment tools into .venv"
    .venv/bin/pip install -q --upgrade "pip==25.3"
    .venv/bin/pip install -q -c constraints.txt -e '.[deploy]'
    echo "$want" > .venv/.shield-deploy-deps
    exit 0
fi

# chromium: the crawler's browser engine (and its tests). Prometheus (promtool), Alertmanager
# (amtool) and the node exporter: the monitoring tests run Debian's own. Tesseract, its English
# and its orientation data: OCR of scans and photos.
apt_packages=(redis-server chromium prometheus prometheus-alertmanager prometheus-node-exporter
    tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd)
# `bootstrap.sh --bench` adds what the benchmarks use: wrk, a load generator written in C, and
# poppler-utils (pdftotext, the baseline of the PDF structure benchmark).
[[ ${1:-} == --bench ]] && apt_packages+=(wrk poppler-utils)
missing=()
for pkg in "${apt_packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    sudo_cmd=()
    [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}" >/dev/null \
        || { "${sudo_cmd[@]}" apt-get update -q >/dev/null && "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}" >/dev/null; }
    # The tests start their own Redis and Prometheus; system ones are not needed.
    if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
        "${sudo_cmd[@]}" systemctl disable --now redis-server prometheus prometheus-alertmanager \
            prometheus-node-exporter >/dev/null 2>&1 || true
    fi
fi

# LiteLLM's proxy (the MCP gateway the client guide shows; its test runs it) lives in a virtualenv
# of its own: crawl4ai's fork of litellm owns the `litellm` module in .venv.
gateway=.cache/litellm-venv
gateway_want=$(sha256sum tests/litellm-gateway.txt | cut -d' ' -f1)
if ! [[ -f $gateway/.stamp && $(cat "$gateway/.stamp") == "$gateway_want" ]]; then
    echo "bootstrap: installing LiteLLM's proxy into $gateway"
    mkdir -p .cache
    [[ -x $gateway/bin/python ]] || "$python" -m venv "$gateway"
    "$gateway/bin/pip" install -q --upgrade "pip==25.3"
    "$gateway/bin/pip" install -q -r tests/litellm-gateway.txt
    echo "$gateway_want" > "$gateway/.stamp"
fi

# Third-party clients the tests drive Shield with (the MCP Inspector, the TypeScript SDK,
# mcp-remote; axe-core for the console): pinned in tests/clients/package-lock.json, installed
# there with npm ci.
clients=tests/clients
clients_want=$(cat "$clients/package.json" "$clients/package-lock.json" | sha256sum | cut -d' ' -f1)
if ! [[ -f $clients/node_modules/.stamp && $(cat "$clients/node_modules/.stamp") == "$clients_want" ]]; then
    if ! command -v npm >/dev/null 2>&1; then
        echo "bootstrap: installing Debian packages: nodejs npm"
        sudo_cmd=()
        [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
        DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q nodejs npm >/dev/null
    fi
    echo "bootstrap: installing the MCP test clients into $clients/node_modules"
    npm ci --prefix "$clients" --no-audit --no-fund --loglevel=error
    echo "$clients_want" > "$clients/node_modules/.stamp"
fi

stamp=.venv/.shield-deps
want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
    exit 0
fi
[[ -x .venv/bin/python ]] || "$python" -m venv .venv
echo "bootstrap: installing the Python environment into .venv"
.venv/bin/pip install -q --upgrade "pip==25.3"
.venv/bin/pip install -q -c constraints.txt -e '.[all,dev,deploy]'
echo "$want" > "$stamp"

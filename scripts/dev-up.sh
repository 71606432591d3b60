#!/usr/bin/env bash
# `make dev-up`: runs Shield from this checkout, without containers: Redis, shield-api, one shield-worker, shield-lightrag and shield-mcp, as processes
# with their state under var/. Idempotent: what already runs is left alone. `make dev-down` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD/var
mkdir -p "$root"/{run,log,data,redis}
chmod 700 "$root"

api_port=${SHIELD_PORT:-8080}
mcp_port=${SHIELD_MCP_PORT:-8000}
lightrag_port=${SHIELD_LIGHTRAG_PORT:-8090}
redis_port=${SHIELD_LOCAL_REDIS_PORT:-6379}
token_file=$root/api-token
if [[ ! -s $token_file ]]; then
    (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))' > "$token_file")
fi
token=$(cat "$token_file")
mcp_token_file=$root/mcp-token
if [[ ! -s $mcp_token_file ]]; then
    (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))' > "$mcp_token_file")
fi
lightrag_token_file=$root/lightrag-token
if [[ ! -s $lightrag_token_file ]]; then
    (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))' > "$lightrag_token_file")
fi

running() { [[ -f $root/run/$1.pid ]] && kill -0 "$(cat "$root/run/$1.pid")" 2>/dev/null; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! running redis; then
    if port_busy "$redis_port"; then
        echo "make dev-up: port $redis_port is taken by another program; set SHIELD_LOCAL_REDIS_PORT" >&2
        exit 1
    fi
    redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$root/redis" --appendonly yes \
        --daemonize yes --pidfile "$root/run/redis.pid" --logfile "$root/log/redis.log"
    for _ in $(seq 50); do running redis && break; sleep 0.1; done
fi

export SHIELD_REDIS_URL=redis://127.0.0.1:$redis_port/0
export SHIELD_API_TOKEN=$token
export SHIELD_DATA_DIR=$root/data
mkdir -p "$root/inbox"
export SHIELD_INBOX_DIR=$root/inbox  # files dropped here can be ingested by path
export SHIELD_API_URL=http://127.0.0.1:$api_port
export HF_HUB_OFFLINE=1
export SHIELD_LIGHTRAG_URL=http://127.0.0.1:$lightrag_port
SHIELD_LIGHTRAG_TOKEN=$(cat "$lightrag_token_file")
export SHIELD_LIGHTRAG_TOKEN

start() {  # name, command...
    local name=$1; shift
    running "$name" && return 0
    nohup "$@" >>"$root/log/$name.log" 2>&1 &
    echo $! > "$root/run/$name.pid"
}
if ! running api && port_busy "$api_port"; then
    echo "make dev-up: port $api_port is taken by another program; set SHIELD_PORT" >&2
    exit 1
fi
if ! running lightrag && port_busy "$lightrag_port"; then
    echo "make dev-up: port $lightrag_port is taken by another program; set SHIELD_LIGHTRAG_PORT" >&2
    exit 1
fi
start lightrag .venv/bin/shield lightrag --port "$lightrag_port"
start api .venv/bin/shield api --host 127.0.0.1 --port "$api_port"
start worker .venv/bin/shield worker
if ! running mcp && port_busy "$mcp_port"; then
    echo "make dev-up: port $mcp_port is taken by another program; set SHIELD_MCP_PORT" >&2
    exit 1
fi
SHIELD_MCP_TOKEN=$(cat "$mcp_token_file") start mcp .venv/bin/shield mcp --port "$mcp_port"

echo -n "make dev-up: waiting for shield-api to be ready"
for _ in $(seq 240); do
    if curl -fsS "http://127.0.0.1:$api_port/readyz" >/dev/null 2>&1; then
        ready=1
        break
    fi
    running api || { echo; echo "make dev-up: shield-api exited; see $root/log/api.log" >&2; tail -20 "$root/log/api.log" >&2; exit 1; }
    echo -n .
    sleep 0.5
done
echo
[[ ${ready:-0} == 1 ]] || { echo "make dev-up: shield-api is not ready; see $root/log/api.log" >&2; exit 1; }

cat <<EOT
Shield is running.
  API        http://127.0.0.1:$api_port   (OpenAPI: /docs, /openapi.json)
  MCP        http://127.0.0.1:$mcp_port/mcp   (token: $mcp_token_file)
  Graph      http://127.0.0.1:$lightrag_port   (shield-lightrag; ask it through the API's /lightrag/query)
  Redis      127.0.0.1:$redis_port
  Token      $token_file   (send it as: Authorization: Bearer <token>)
  Logs       $root/log/
  Inbox      $root/inbox/   (ingest a file or folder in it: {"kind": "document", "path": "name"})
Try it:
  TOKEN=\$(cat $token_file)
  curl -s -X POST http://127.0.0.1:$api_port/ingest-async -H "Authorization: Bearer \$TOKEN" \\
       -H 'content-type: application/json' \\
       -d '{"kind": "document", "source": "hello.md", "text": "# Hello\\nShield keeps your notes searchable."}'
  curl -s -X POST http://127.0.0.1:$api_port/search -H "Authorization: Bearer \$TOKEN" \\
       -H 'content-type: application/json' -d '{"query": "what does Shield keep?"}'
MCP clients (Cursor's mcp.json; more in docs/guides/CLIENT_INTEGRATION.md):
  {"mcpServers": {"shield": {"url": "http://127.0.0.1:$mcp_port/mcp",
                             "headers": {"Authorization": "Bearer $(cat "$mcp_token_file")"}}}}
Stop it with: make dev-down
EOT

#!/usr/bin/env bash
# `make up`: the whole platform in one systemd container on this machine, deployed by the same
# site.yml operators run against their hosts (inventories/local). Installs what it needs (cached),
# creates the container once, converges, waits for health and prints how to connect.
# Re-running changes nothing; `make down` removes it all.
set -euo pipefail
cd "$(dirname "$0")/.."
name=shield-local
image=localhost/shield-systemd:bookworm
api_port=${SHIELD_UP_API_PORT:-8080}
mcp_port=${SHIELD_UP_MCP_PORT:-8000}
graph_port=${SHIELD_UP_GRAPH_PORT:-8090}
prometheus_port=${SHIELD_UP_PROMETHEUS_PORT:-9090}
secrets=inventories/local/.secrets

scripts/container-image.sh
scripts/ansible-collections.sh
scripts/wheelhouse.sh
mkdir -p var/inbox

if ! podman container exists "$name"; then
    echo "make up: creating the container $name"
    # SIGRTMIN+3 asks systemd (PID 1 in there) to shut down cleanly; it ignores SIGTERM.
    podman run -d --name "$name" --hostname "$name" --stop-signal SIGRTMIN+3 \
        --publish "127.0.0.1:$api_port:8080" \
        --publish "127.0.0.1:$mcp_port:8000" \
        --publish "127.0.0.1:$graph_port:8090" \
        --publish "127.0.0.1:$prometheus_port:9090" \
        --volume "$PWD/.cache/wheelhouse:/srv/shield-wheelhouse:ro" \
        --volume "$PWD/var/inbox:/srv/shield-inbox:ro" \
        "$image" >/dev/null
elif [[ $(podman container inspect -f '{{.State.Running}}' "$name") != true ]]; then
    podman start "$name" >/dev/null
fi
podman exec "$name" systemctl is-system-running --wait >/dev/null || true

(umask 077 && ANSIBLE_CONFIG=ansible.cfg .venv/bin/ansible-playbook -i inventories/local site.yml)

for url in "http://127.0.0.1:$api_port/readyz" "http://127.0.0.1:$mcp_port/healthz" \
    "http://127.0.0.1:$graph_port/healthz" "http://127.0.0.1:$prometheus_port/-/ready"; do
    for _ in $(seq 120); do
        curl -fsS -o /dev/null "$url" 2>/dev/null && continue 2
        sleep 1
    done
    echo "make up: $url does not answer; see: podman exec $name journalctl -u 'shield-*'" >&2
    exit 1
done

mcp_token=$(cat "$secrets/mcp-token")
cat <<EOT

Shield is up (container $name; its services are systemd units, see: podman exec $name systemctl status 'shield-*').
  API    http://127.0.0.1:$api_port       OpenAPI at /docs; token in $secrets/api-token
  MCP    http://127.0.0.1:$mcp_port/mcp   token in $secrets/mcp-token
  Graph  http://127.0.0.1:$graph_port       (asked through the API's /lightrag/query and the MCP tool)
  Prometheus http://127.0.0.1:$prometheus_port   scrapes every service; alerts at /alerts (docs/MONITORING.md)
  Inbox  var/inbox/                  files here can be ingested: {"kind": "document", "path": "name"}
Try it:
  TOKEN=\$(cat $secrets/api-token)
  curl -s -X POST http://127.0.0.1:$api_port/ingest-async -H "Authorization: Bearer \$TOKEN" \\
       -H 'content-type: application/json' \\
       -d '{"kind": "document", "source": "hello.md", "text": "# Hello\\nShield keeps your notes searchable."}'
  curl -s -X POST http://127.0.0.1:$api_port/search -H "Authorization: Bearer \$TOKEN" \\
       -H 'content-type: application/json' -d '{"query": "what does Shield keep?"}'
An MCP client (Claude Desktop, Cursor; more in docs/guides/CLIENT_INTEGRATION.md):
  {"mcpServers": {"shield": {"url": "http://127.0.0.1:$mcp_port/mcp",
                             "headers": {"Authorization": "Bearer $mcp_token"}}}}
Remove it all with: make down
EOT

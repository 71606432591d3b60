#!/bin/sh
# Writes compose.yaml's secrets once, random, into compose/secrets/ (kept out of git): the API,
# MCP and shield-lightrag tokens, the Redis password, and the Redis URL holding it. Existing
# files are kept, so running it again changes nothing. The folder is its owner's alone (0700);
# the files in it are 0644 because compose mounts each one into its containers as it is, where
# the services run as their own unprivileged users.
set -eu
cd "$(dirname "$0")"
umask 077
mkdir -p secrets
random() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }
for name in api_token mcp_token lightrag_token redis_password; do
    [ -s "secrets/$name" ] || random >"secrets/$name"
done
[ -s secrets/redis_url ] || printf 'redis://:%s@redis:6379/0\n' "$(cat secrets/redis_password)" >secrets/redis_url
chmod 0700 secrets
chmod 0644 secrets/*
echo "secrets in $(pwd)/secrets: the API token is $(pwd)/secrets/api_token, the MCP token $(pwd)/secrets/mcp_token"

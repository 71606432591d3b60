"""The `shield` commands that talk to a running shield-api: they read SHIELD_API_URL and
SHIELD_API_TOKEN, print for people by default and JSON with `--json`."""

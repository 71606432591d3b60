"""shield-api: the orchestrator's HTTP API (FastAPI)."""

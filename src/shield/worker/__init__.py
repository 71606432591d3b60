"""shield-worker: runs ingest jobs from the RQ queue."""

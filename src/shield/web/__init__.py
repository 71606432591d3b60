"""What every Shield HTTP service shares: the one JSON error shape and the bearer-token guard."""

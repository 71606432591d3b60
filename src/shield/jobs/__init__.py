"""Jobs: their states in Redis, their events, and the RQ queue that runs them."""

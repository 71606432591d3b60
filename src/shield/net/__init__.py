"""Outbound HTTP under an egress policy: what Shield fetches on a caller's behalf (document URLs,
crawled pages) can never reach this host, its private network or a cloud metadata service
unless an operator allowlisted it."""

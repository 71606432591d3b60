"""Web crawling: Crawl4AI fetches and extracts, Shield decides what may be fetched.

`fetch` puts the egress guard into Crawl4AI's HTTP strategy, `frontier` decides which links are
followed (exact origins, canonical URLs, depth and page limits), `robots` and `sitemaps` read
what a site says about itself, and `crawler` runs the breadth-first crawl with per-host
politeness and circuit breakers.
"""

import os

# Crawl4AI prints an advertisement for its hosted service into the logs unless told not to.
os.environ.setdefault("CRAWL4AI_NO_CLOUD_NOTICE", "1")

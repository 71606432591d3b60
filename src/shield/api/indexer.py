"""Builds the embedded store's HNSW index in the background, once writes have gone quiet.

Qdrant Edge indexes only when asked (`optimize()`). The store builds the index in a child
process on a copy of the collection and swaps it in (`shield.vectorstore.indexbuild`), so this
process keeps answering meanwhile; the build still takes CPU, so it runs only when enough points
wait to be indexed (SHIELD_INDEX_MIN_POINTS) and no document has been written for
SHIELD_INDEX_IDLE_SECONDS: after a bulk ingest, not in the middle of one. Until then searches
scan the newest points exactly, which stays fast for that many points.
"""

from __future__ import annotations

import asyncio
import time

from shield.api.services import Services
from shield.logging import get_logger
from shield.metrics import INDEX_SECONDS

log = get_logger(__name__)
CHECK_SECONDS = 5.0
FAILED_WAIT_SECONDS = 60.0  # after a failed build, before the next try: each copies the shard


def index_if_due(services: Services) -> bool:
    settings = services.settings
    if time.monotonic() - services.index.last_write < settings.index_idle_seconds:
        return False
    pending = services.store.pending_index_points()
    if pending < settings.index_min_points:
        return False
    start = time.perf_counter()
    services.store.optimize()
    elapsed = time.perf_counter() - start
    INDEX_SECONDS.observe(elapsed)
    log.info("vector_index_built", points=pending, seconds=round(elapsed, 2))
    return True


async def run_indexer(services: Services, interval: float = CHECK_SECONDS) -> None:
    wait = interval
    while True:
        await asyncio.sleep(wait)
        wait = interval
        try:
            await asyncio.to_thread(index_if_due, services)
        except Exception as exc:  # noqa: BLE001 - try again later; searches still work
            log.warning("vector_index_failed", error=str(exc))
            wait = max(interval, FAILED_WAIT_SECONDS)

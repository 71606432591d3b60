"""Builds a Qdrant Edge shard's HNSW index in a process of its own.

Qdrant Edge's `optimize()` holds Python's GIL for as long as the index takes to build (about a
minute for 50k points on two busy cores), so run inside shield-api it stalled every request. The
embedded store instead copies the shard, lets a child process running this module optimize the
copy at a lower CPU priority, and swaps the built copy in (`EdgeVectorStore.optimize`):
shield-api keeps answering searches and 202s meanwhile, from the shard it already has.

    python -m shield.vectorstore.indexbuild SHARD_DIR
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import qdrant_edge as qe

from shield.vectorstore.base import StoreError

NICENESS = 10  # shield-api's own requests come first
TIMEOUT_SECONDS = 3600.0
STDERR_TAIL = 2000


class IndexBuild:
    """One child process optimizing the shard copy in `shard_dir`, which no process has open."""

    def __init__(self, shard_dir: Path) -> None:
        self.shard_dir = shard_dir
        self._cancelled = threading.Event()
        self._process = subprocess.Popen(  # noqa: S603 - our own module, on a path we made
            [sys.executable, "-m", __name__, str(shard_dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait(self, timeout: float = TIMEOUT_SECONDS) -> None:
        """Until the child is done; raises StoreError, with the child's own words, unless the
        index was built."""
        try:
            _out, err = self._process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.cancel()
            message = f"building the vector index took longer than {timeout:.0f} s"
            raise StoreError(message) from None
        if self._cancelled.is_set():
            raise StoreError("building the vector index was stopped")
        if self._process.returncode != 0:
            reason = (err or "").strip()[-STDERR_TAIL:] or f"exit {self._process.returncode}"
            raise StoreError(f"building the vector index failed: {reason}")

    def running(self) -> bool:
        return self._process.poll() is None

    def cancel(self) -> None:
        self._cancelled.set()
        if self.running():
            self._process.kill()
            self._process.wait()


def optimize_shard(shard_dir: Path) -> None:
    shard = qe.EdgeShard.load(str(shard_dir))
    try:
        shard.optimize()
        shard.flush()
    finally:
        shard.close()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m shield.vectorstore.indexbuild SHARD_DIR", file=sys.stderr)
        return 2
    os.nice(NICENESS)
    optimize_shard(Path(argv[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

"""One commit per batch of documents, crash-safe, for a LightRAG workspace on its file storages.

LightRAG persists every storage of a workspace after each document (the JSON key-value stores,
the NanoVectorDB matrices, the GraphML graph), and each of those writes the whole file: a
document costs time in proportion to everything already in the graph, so a large collection
slows the graph to a crawl. In a batch, `BatchCommit` holds those writes back while the
documents are merged in memory, then writes every file once, the document statuses last, as
LightRAG itself orders a commit.

A crash half way through those writes would leave some files of the batch on disk beside the
others of the previous batch. So before writing, the commit hard-links the workspace's files
into `.last-commit/` (LightRAG replaces a file by renaming a new one over it, so the links keep
the previous contents), and removes that folder once every file is written. A workspace opened
with the folder present rolls back to it: the batch was never acknowledged, and the graph's
backlog sends it again.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Any

from lightrag import LightRAG

from shield.logging import get_logger

log = get_logger(__name__)
SNAPSHOT = ".last-commit"
# The LLM's answers stay LightRAG's to persist as it goes (each costs an LLM call to redo) and
# are kept through a rollback: an entry is keyed by its prompt, so a newer file is never wrong.
LLM_CACHE_FILE = "kv_store_llm_response_cache.json"


class CommitError(Exception):
    """The batch's files could not all be written (the disk full, say); the workspace rolls
    back to the last commit when it next opens, or the next commit writes them all again."""


def workspace_folder(rag: LightRAG) -> Path:
    return Path(str(rag.working_dir)) / str(rag.workspace)


def recover(folder: Path) -> bool:
    """Undo a commit cut short in `folder` (before its workspace opens); whether it did."""
    shutil.rmtree(folder / f"{SNAPSHOT}.tmp", ignore_errors=True)  # linking had not finished
    snapshot = folder / SNAPSHOT
    if not snapshot.is_dir():
        return False
    kept = {entry.name for entry in snapshot.iterdir()}
    for entry in folder.iterdir():
        if entry.is_file() and entry.name not in kept and entry.name != LLM_CACHE_FILE:
            entry.unlink()  # a file the interrupted batch created
    for name in sorted(kept):
        live = folder / name
        if live.exists() and os.path.samefile(snapshot / name, live):
            (snapshot / name).unlink()  # unchanged (renaming a link onto itself does nothing)
        else:
            os.replace(snapshot / name, live)
    snapshot.rmdir()
    log.warning("graph_batch_rolled_back", workspace=folder.name)
    return True


def _link_snapshot(folder: Path) -> None:
    """The workspace's files as they are now, in `.last-commit/`, made whole before it appears.
    A snapshot already there is the last whole state (a commit failed after it): it is kept."""
    if (folder / SNAPSHOT).is_dir():
        return
    staging = folder / f"{SNAPSHOT}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for entry in folder.iterdir():
        if entry.is_file() and entry.name != LLM_CACHE_FILE:
            os.link(entry, staging / entry.name)
    staging.rename(folder / SNAPSHOT)


class BatchCommit:
    """`async with BatchCommit(rag):` the documents inserted inside are written to disk once,
    on the way out (whether the batch ended well or not: what LightRAG holds in memory is what
    it will go on from, so the disk must catch up with it)."""

    def __init__(self, rag: LightRAG) -> None:
        self.rag = rag
        self.folder = workspace_folder(rag)
        self._storages: list[Any] = [
            storage for storage in rag._index_storages() if storage is not rag.llm_response_cache
        ]

    async def __aenter__(self) -> BatchCommit:
        for storage in self._storages:
            # Instance attributes shadow the methods until __aexit__ deletes them. Dropping a
            # pending buffer is held back too: it would hold the batch's earlier documents,
            # not only the one whose insert failed (LightRAG's journal covers that one).
            storage.index_done_callback = _held_back
            storage.drop_pending_index_ops = _held_back
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for storage in self._storages:
            del storage.index_done_callback
            del storage.drop_pending_index_ops
        await self.commit()

    async def commit(self) -> None:
        statuses = self.rag.doc_status
        try:
            await asyncio.to_thread(_link_snapshot, self.folder)
            await _flush([s.index_done_callback for s in self._storages if s is not statuses])
            await statuses.index_done_callback()  # the commit record, last
            await asyncio.to_thread(shutil.rmtree, self.folder / SNAPSHOT)
        except Exception as exc:
            raise CommitError(f"{type(exc).__name__}: {exc}") from exc


async def _held_back(*_: Any, **__: Any) -> None:
    return None


async def _flush(callbacks: list[Callable[[], Awaitable[Any]]]) -> None:
    """Every flush run to its end (none left running detached), then the first error raised."""
    results = await asyncio.gather(*(callback() for callback in callbacks), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result

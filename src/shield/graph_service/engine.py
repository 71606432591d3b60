"""LightRAG inside shield-lightrag: one LightRAG workspace per collection, offline by default.

Without an LLM (the default), the step where LightRAG would ask an LLM to extract entities and
relations from a chunk is answered by the offline extractor, in the row format LightRAG parses.
Documents therefore go in through LightRAG's journaled `ainsert_custom_chunks` path (the chunks
are the vector store's own chunks), which keeps per-document bookkeeping: `adelete_by_doc_id`
removes a document's chunks, entities and relations, and re-ingest is delete + insert.
(LightRAG's custom-graph insert would skip that bookkeeping: its own docs say such data is out
of reach of per-document deletion.) Queries pass keywords extracted the same way, so no step
of a query needs an LLM either; the answer is then the retrieved context, and says so.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from lightrag import LightRAG, QueryParam
from lightrag.constants import GRAPH_FIELD_SEP
from lightrag.kg.shared_storage import finalize_share_data
from lightrag.prompt import PROMPTS
from lightrag.query_validation import QueryValidationError, validate_rag_query
from lightrag.tools.kg_integrity_repair import audit_kg_integrity
from lightrag.utils import EmbeddingFunc, Tokenizer, sanitize_text_for_encoding

from shield.backup.archive import tar_folder, untar_plain
from shield.embeddings import Embedder
from shield.errors import Conflict, DependencyUnavailable, InvalidInput, NotFound, ShieldError
from shield.graph.answers import ANSWER_SYSTEM, answer_prompt, context_text
from shield.graph_service.commit import BatchCommit, CommitError, recover
from shield.graph_service.extractor import Extraction, OfflineExtractor
from shield.graph_service.hops import Trail, central, edge_between, follow, seeds
from shield.graph_service.tokenizer import PackedCharTokenizer
from shield.logging import get_logger

log = get_logger(__name__)
LLMFunc = Callable[..., Awaitable[str]]
EXTRACTION_INPUT = re.compile(r"---Input Text---\s*```\n(.*?)\n```", re.S)
SUMMARY_INPUT = re.compile(r"Description List:\s*```\n(.*?)\n```", re.S)
MAX_SUMMARY_CHARS = 2000
MODES = ("naive", "local", "global", "hybrid", "mix", "hops")
#: What to try when a mode found nothing.
_NOTHING_FOUND = {
    "global": "Global mode looks for relations across the graph by the question's themes; "
    "local or mix mode starts from the entities it names.",
    "local": "Local mode starts from the entities a question names: name one the documents "
    "use, or try mix mode.",
}
#: Passages a graph answer holds unless the caller asks for more.
ANSWER_PASSAGES = 10
MAX_GRAPH_TEXT_CHARS = 96
GRAPH_CACHE_SIZE = 20_000  # vectors of graph texts kept (about 30 MB at 384 dimensions)
# LightRAG embeds in calls of EMBEDDING_BATCH texts, EMBEDDING_CALLS at once: fewer and bigger
# than its defaults (10 and 8), which cut two cores' work into many small forward passes.
EMBEDDING_BATCH = 32
EMBEDDING_CALLS = 2
DOC_STATUS_FILE = "kv_store_doc_status.json"  # LightRAG's record of the documents it holds
_MAX_KEYWORD_CHARS = 200  # a keyword made of a whole query, when no keyword could be found


class GraphError(ShieldError):
    status_code = 500
    code = "graph_error"


def extraction_rows(extraction: Extraction) -> str:
    """The extractor's findings in the row format of LightRAG's extraction prompt."""
    sep = PROMPTS["DEFAULT_TUPLE_DELIMITER"]
    rows = [f"entity{sep}{e.name}{sep}{e.kind}{sep}{e.description}" for e in extraction.entities]
    rows += [
        f"relation{sep}{r.source}{sep}{r.target}{sep}{r.keywords}{sep}{r.description}"
        for r in extraction.relations
    ]
    return "\n".join([*rows, PROMPTS["DEFAULT_COMPLETION_DELIMITER"]])


def merged_descriptions(listing: str) -> str:
    """An extractive summary of an entity's descriptions: each distinct one, in order."""
    seen: dict[str, None] = {}
    for line in listing.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue
        text = str(item.get("description", "") if isinstance(item, dict) else item).strip()
        if text:
            seen.setdefault(text)
    return " ".join(seen)[:MAX_SUMMARY_CHARS]


def offline_llm(extractor: OfflineExtractor) -> LLMFunc:
    """Stands where LightRAG expects an LLM, for the two steps it cannot skip: extracting a
    chunk's entities and relations, and merging an entity's descriptions once it has many."""

    async def complete(prompt: str, system_prompt: str | None = None, **_: Any) -> str:
        if match := EXTRACTION_INPUT.search(prompt):
            text = match.group(1)
            return await asyncio.to_thread(lambda: extraction_rows(extractor.extract(text)))
        if match := SUMMARY_INPUT.search(prompt):
            return merged_descriptions(match.group(1))
        # Queries pass their keywords and ask for context only; nothing else should ask.
        raise GraphError("no LLM is configured (SHIELD_LLM_PROVIDER=none)")

    return complete


@dataclass
class Outcome:
    """What became of one document of a batch: `stored`, `deleted`, `absent` or `failed`."""

    status: str
    error: ShieldError | None = None


@dataclass
class GraphAnswer:
    mode: str
    llm_generated: bool
    answer: str
    entities: list[dict[str, Any]]
    relations: list[dict[str, Any]]
    chunks: list[dict[str, Any]]
    overview: bool = False  # global mode, nothing matched: the graph's central relations


# The chunk texts of the documents going in, set while they do (a query leaves it unset), each
# with its vector where the vector store's was given.
Inserting = dict[str, npt.NDArray[np.float32] | None]
_inserting: ContextVar[Inserting | None] = ContextVar("inserting", default=None)


def graph_text(text: str) -> str:
    """What the graph embeds of an entity or a relation while documents go in: an entity by its
    name (LightRAG hands `name\ndescription`), a relation by its keywords and the two names it
    joins (`keywords\tsource\ntarget\ndescription`). Query keywords are names and short
    phrases; embedding the descriptions too cost the graph several times what its chunks cost
    (docs/BENCHMARKS.md), and a name embeds the same each time its entity is merged again."""
    head, _, rest = text.partition("\n")
    if "\t" in head:
        head = head + "\n" + rest.partition("\n")[0]
    return head[:MAX_GRAPH_TEXT_CHARS]


class _VectorCache:
    """The vectors of the graph texts embedded lately: an entity or a relation merged again by
    a later document is embedded under the same text."""

    def __init__(self, size: int = GRAPH_CACHE_SIZE) -> None:
        self.size = size
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def get(self, text: str) -> np.ndarray | None:
        vector = self._vectors.get(text)
        if vector is not None:
            self._vectors.move_to_end(text)
        return vector

    def put(self, text: str, vector: np.ndarray) -> None:
        self._vectors[text] = vector
        self._vectors.move_to_end(text)
        while len(self._vectors) > self.size:
            self._vectors.popitem(last=False)


def _embedding_func(embedder: Embedder) -> Callable[..., Awaitable[np.ndarray]]:
    # A closure, not a bound method: LightRAG deep-copies its configuration, and copying a
    # bound method would copy the engine (locks and all) with it; functions are not copied.
    cache = _VectorCache()

    async def embed(texts: list[str], **_: Any) -> np.ndarray:
        chunks = _inserting.get()
        if chunks is None:  # a query's keywords, as they are
            return np.asarray(await asyncio.to_thread(embedder.embed, list(texts)), np.float32)
        # Chunks in full (as the vector store has them, where it gave them); entities and
        # relations by their names, from the cache where it can.
        wanted = [text if text in chunks else graph_text(text) for text in texts]
        vectors: dict[str, np.ndarray] = {}
        for text in wanted:
            if (vector := chunks.get(text)) is not None or (vector := cache.get(text)) is not None:
                vectors[text] = vector
        missing = [text for text in dict.fromkeys(wanted) if text not in vectors]
        if missing:
            fresh = await asyncio.to_thread(embedder.embed, missing)
            for text, vector in zip(missing, fresh, strict=True):
                vectors[text] = np.asarray(vector, dtype=np.float32)
                cache.put(text, vectors[text])
        return np.stack([vectors[text] for text in wanted])

    return embed


class GraphEngine:
    def __init__(
        self,
        data_dir: Path,
        embedder: Embedder,
        llm: LLMFunc | None = None,
        extractor: OfflineExtractor | None = None,
        llm_concurrency: int = 4,
    ) -> None:
        self.data_dir = data_dir
        self.embedder = embedder
        self.extractor = extractor or OfflineExtractor()
        self.llm = llm
        self.llm_concurrency = llm_concurrency
        self._rags: dict[str, LightRAG] = {}
        self._lock = asyncio.Lock()
        # LightRAG's document pipeline is one per workspace: writes to a collection take turns
        # (several workers may send documents at once; concurrent inserts were seen to stall).
        self._writes: dict[str, asyncio.Lock] = {}

    @property
    def has_llm(self) -> bool:
        return self.llm is not None

    async def rag(self, collection: str) -> LightRAG:
        async with self._lock:
            if collection not in self._rags:
                await asyncio.to_thread(recover, self.data_dir / collection)
                rag = LightRAG(
                    working_dir=str(self.data_dir),
                    workspace=collection,
                    embedding_func=EmbeddingFunc(
                        embedding_dim=self.embedder.dimension,
                        max_token_size=512,
                        func=_embedding_func(self.embedder),
                        model_name=self.embedder.model_name,
                    ),
                    llm_model_func=self.llm or offline_llm(self.extractor),
                    tokenizer=Tokenizer("shield-packed-chars", PackedCharTokenizer()),
                    entity_extract_max_gleaning=0,
                    # A batch's chunks are extracted concurrently: this bounds the LLM's load.
                    llm_model_max_async=self.llm_concurrency,
                    embedding_batch_num=EMBEDDING_BATCH,
                    embedding_func_max_async=EMBEDDING_CALLS,
                    enable_llm_cache=True,
                    # The offline extractor costs less than a cache lookup: nothing to keep.
                    enable_llm_cache_for_entity_extract=self.llm is not None,
                )
                await rag.initialize_storages()
                self._rags[collection] = rag
            return self._rags[collection]

    def _write_lock(self, collection: str) -> asyncio.Lock:
        return self._writes.setdefault(collection, asyncio.Lock())

    async def insert(self, collection: str, doc_id: str, chunks: list[str]) -> None:
        """Make the graph hold exactly this document's chunks (replacing an earlier version)."""
        outcome = (await self.apply(collection, {doc_id: chunks}, []))[doc_id]
        if outcome.error is not None:
            raise outcome.error

    async def apply(
        self,
        collection: str,
        documents: dict[str, list[str]],
        deletes: list[str],
        vectors: dict[str, list[npt.NDArray[np.float32]]] | None = None,
    ) -> dict[str, Outcome]:
        """One batch for one collection: forget `deletes`, then make the graph hold exactly
        each document's chunks. Each document succeeds or fails alone; only an error of the
        graph itself (its storage, an unavailable LLM) ends the batch. `vectors` are chunks'
        embeddings already made by this engine's model (the vector store's), used as they are."""
        rag = await self.rag(collection)
        outcomes: dict[str, Outcome] = {}
        chunks_of = {
            doc_id: [c for c in chunks if c.strip()] for doc_id, chunks in documents.items()
        }
        # The batch's chunks are embedded whole; any other text is an entity's or a relation's.
        inserting: Inserting = {}
        for doc_id, chunks in documents.items():
            known = (vectors or {}).get(doc_id)
            for i, text in enumerate(chunks):
                if text.strip():
                    inserting[sanitize_text_for_encoding(text)] = known[i] if known else None
        async with self._write_lock(collection):
            token = _inserting.set(inserting)
            try:
                async with BatchCommit(rag):
                    for doc_id in deletes:
                        deleted = await self._delete(rag, doc_id)
                        outcomes[doc_id] = Outcome("deleted" if deleted else "absent")
                    for doc_id, texts in chunks_of.items():
                        outcomes[doc_id] = await self._put_one(rag, doc_id, texts)
            except CommitError as exc:  # the batch is sent again later
                raise GraphError(
                    f"the graph could not write collection {collection}: {exc}"
                ) from exc
            finally:
                _inserting.reset(token)
        return outcomes

    async def _put_one(self, rag: LightRAG, doc_id: str, texts: list[str]) -> Outcome:
        if not texts:
            return Outcome("failed", InvalidInput("a document needs at least one chunk of text"))
        try:
            await self._put(rag, doc_id, texts)
        except GraphError as exc:  # this document's own trouble
            return Outcome("failed", exc)
        return Outcome("stored")

    async def _put(self, rag: LightRAG, doc_id: str, texts: list[str]) -> None:
        state = _state(await rag.doc_status.get_by_id(doc_id) or {})
        if state and state != "processed":
            # An insert cut short (shield-lightrag killed half way): LightRAG rolls the same
            # operation forward; a different version is refused, and goes the purge way below.
            try:
                await self._insert(rag, doc_id, texts)
                return
            except GraphError as exc:
                log.info("graph_resume_refused", document_id=doc_id, error=exc.message)
        await self._delete(rag, doc_id)
        await self._insert(rag, doc_id, texts)

    async def _insert(self, rag: LightRAG, doc_id: str, texts: list[str]) -> None:
        try:
            await rag.ainsert_custom_chunks("\n\n".join(texts), texts, doc_id=doc_id)
        except ShieldError:
            raise
        except Exception as exc:
            # LightRAG wraps what went wrong; an unavailable LLM stays a 503 with retry_after.
            unavailable = _cause(exc, DependencyUnavailable)
            if unavailable is not None:
                raise unavailable from exc
            raise GraphError(f"LightRAG could not insert {doc_id}: {exc}") from exc
        status = await rag.doc_status.get_by_id(doc_id) or {}
        state = _state(status)
        if state != "processed":
            reason = status.get("error_msg") or state or "no status"
            raise GraphError(f"LightRAG did not process {doc_id}: {reason}")

    async def holds(self, collection: str, doc_id: str) -> bool:
        """Whether the graph holds this document, fully processed (an insert that failed or was
        cut short by a crash leaves it absent or in another state)."""
        rag = await self.rag(collection)
        status = await rag.doc_status.get_by_id(doc_id) or {}
        return _state(status) == "processed"

    async def delete(self, collection: str, doc_id: str) -> bool:
        rag = await self.rag(collection)
        async with self._write_lock(collection):
            return await self._delete(rag, doc_id)

    async def _delete(self, rag: LightRAG, doc_id: str) -> bool:
        if not await rag.doc_status.get_by_id(doc_id):
            return False
        result = await rag.adelete_by_doc_id(doc_id)
        if "recovery anchor" in str(getattr(result, "message", "")):
            # An insert cut short left no proof of what it wrote: LightRAG's own audit rebuilds
            # the proof from the graph (a scan of it all, for this rare case), then it purges.
            log.warning("graph_anchors_repaired", document_id=doc_id)
            await audit_kg_integrity(rag, apply=True)
            result = await rag.adelete_by_doc_id(doc_id)
        if getattr(result, "status", "success") not in ("success", "not_found"):
            raise GraphError(
                f"LightRAG could not delete {doc_id}: {getattr(result, 'message', '')}"
            )
        return True

    async def relation(
        self, collection: str, source: str, target: str, limit: int
    ) -> dict[str, Any]:
        """A relation of the graph with the passages it was found in: LightRAG's own record of
        its chunks, read back from its chunk store (the first `limit`, in the order it keeps)."""
        rag = await self.rag(collection)
        graph = rag.chunk_entity_relation_graph
        edge = await edge_between(graph, source, target)
        if edge is None:
            raise NotFound(
                f"the graph of collection {collection} has no relation between {source!r} and "
                f"{target!r}"
            )
        ids = [i for i in str(edge.get("source_id", "")).split(GRAPH_FIELD_SEP) if i][:limit]
        records = await rag.text_chunks.get_by_ids(ids) if ids else []
        passages = [
            {
                "chunk_id": chunk_id,
                "document_id": record.get("full_doc_id"),
                "text": record.get("content", ""),
            }
            for chunk_id, record in zip(ids, records, strict=True)
            if record
        ]
        return {
            "source": source,
            "target": target,
            "keywords": edge.get("keywords", ""),
            "description": edge.get("description", ""),
            "passages": passages,
        }

    async def query(
        self, collection: str, query: str, mode: str, top_k: int, limit: int = ANSWER_PASSAGES
    ) -> GraphAnswer:
        """What the graph knows near the question: at most `limit` passages, and the entities
        and relations found in them (those found in none, only while there is room), each
        naming the documents it comes from; without an LLM, the answer is that context."""
        if mode not in MODES:
            raise InvalidInput(f"mode must be one of {', '.join(MODES)}")
        try:  # LightRAG's own rule (at least 3 letters or so): a 422, not a crash inside it
            validate_rag_query(query)
        except QueryValidationError as exc:
            raise InvalidInput(f"query: {exc}") from None
        rag = await self.rag(collection)
        high: list[str] = []
        low: list[str] = []
        if mode == "hops":
            found_by_hops = await self._hops(rag, query, limit)
            if found_by_hops is not None:
                entities, relations, chunks = await _cited(
                    rag, found_by_hops["entities"], found_by_hops["relations"],
                    found_by_hops["chunks"], limit,
                )  # fmt: skip
                return await self._answer(mode, query, entities, relations, chunks)
            mode = "mix"  # the question names no entity of the graph: passages near it
        if self.llm is None:  # with an LLM, LightRAG asks it for the keywords instead
            high, low = await asyncio.to_thread(self.extractor.query_keywords, query)
            if not high and not low:  # LightRAG would ask the LLM there is not: search as asked
                low = [query.strip()[:_MAX_KEYWORD_CHARS]]
        param = QueryParam(
            mode=mode,
            top_k=top_k,
            chunk_top_k=top_k,
            hl_keywords=high,
            ll_keywords=low,
            enable_rerank=False,
        )
        data = await rag.aquery_data(query, param=param)
        found = data.get("data", {}) if isinstance(data, dict) else {}
        entities, relations, chunks = await _cited(
            rag,
            found.get("entities", []),
            found.get("relationships", []),
            found.get("chunks", [])[:limit],
            limit,
        )
        looked_for = ", ".join(dict.fromkeys([*low, *high])) or query
        if mode == "global" and not relations:
            overview = await self._overview(rag, limit)
            if overview is not None:
                entities, relations, chunks = await _cited(
                    rag, overview["entities"], overview["relations"], overview["chunks"], limit
                )
                given = await self._answer(mode, query, entities, relations, chunks)
                given.overview = True
                given.answer = (
                    f"No relation of the graph matched the question's themes (looked for: "
                    f"{looked_for}); here instead are the relations among the most connected "
                    f"entities of {collection}, an overview of what it holds.\n{given.answer}"
                )
                return given
        if not (entities or relations or chunks):
            answer = (
                f"Nothing in the knowledge graph of {collection} matched the question "
                f"(looked for: {looked_for}) in {mode} mode. "
                + _NOTHING_FOUND.get(mode, "Try mix mode, or qdrant_find for the passages.")
            )
            return GraphAnswer(mode, False, answer, [], [], [])
        return await self._answer(mode, query, entities, relations, chunks)

    async def _answer(
        self,
        mode: str,
        query: str,
        entities: list[dict[str, Any]],
        relations: list[dict[str, Any]],
        chunks: list[dict[str, Any]],
    ) -> GraphAnswer:
        """The LLM's answer from exactly these passages, citing them by the numbers callers see
        them under; without an LLM, the context itself."""
        if self.llm is None:
            answer = context_text(entities, relations, len(chunks))
            return GraphAnswer(mode, False, answer, entities, relations, chunks)
        prompt = answer_prompt(query, entities, relations, chunks)
        text = await self.llm(prompt, system_prompt=ANSWER_SYSTEM)
        return GraphAnswer(mode, True, str(text or "").strip(), entities, relations, chunks)

    async def _hops(self, rag: LightRAG, query: str, limit: int) -> dict[str, Any] | None:
        """The passages reached from the question's entities along the graph's relations (one
        and two hops), best first, each with the relations that led to it; and the entities
        and relations on those paths. None if the question names no entity of the graph."""
        _, names = await asyncio.to_thread(self.extractor.query_keywords, query)
        graph = rag.chunk_entity_relation_graph
        start = await seeds(graph, names)
        paths = await follow(graph, start) if start else {}
        return await _from_paths(rag, paths, limit) if paths else None

    async def _overview(self, rag: LightRAG, limit: int) -> dict[str, Any] | None:
        """The relations among the graph's most connected entities and the passages that hold
        most of them: what a collection is about, for a question that names nothing in it."""
        paths = await central(rag.chunk_entity_relation_graph)
        return await _from_paths(rag, paths, limit) if paths else None

    async def snapshot(self, target: Path) -> None:
        """LightRAG's working files as a tar at `target`, with no write in flight: no workspace
        opens meanwhile, and every collection's write lock is held (each write flushes its
        files before it lets go, so the files on disk are whole)."""
        async with self._lock, AsyncExitStack() as held:
            names = set(self._writes) | {p.name for p in self.data_dir.iterdir() if p.is_dir()}
            for name in sorted(names):
                await held.enter_async_context(self._write_lock(name))
            await asyncio.to_thread(tar_folder, self.data_dir, target)

    def _holding(self) -> list[str]:
        """The collections whose graph holds at least one document (as flushed to disk)."""
        holding = []
        for status in sorted(self.data_dir.glob(f"*/{DOC_STATUS_FILE}")):
            try:
                documents = json.loads(status.read_text() or "{}")
            except ValueError:
                documents = {"?": "unreadable"}
            if documents:
                holding.append(status.parent.name)
        return holding

    async def restore(self, source: Path) -> list[str]:
        """Make an empty graph the snapshot at `source` (a tar `snapshot` wrote); the
        collections it holds. Refused, with nothing changed, while any collection holds a
        document. LightRAG keeps what it loaded in memory for the life of the process: every
        workspace is closed and its shared storage reset, so each loads the restored files."""
        async with self._lock:
            holding = self._holding()
            if holding:
                raise Conflict(
                    f"the knowledge graph holds documents in {', '.join(holding)}: a restore "
                    "needs an empty graph"
                )
            staging = self.data_dir.with_name(self.data_dir.name + ".restoring")
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir()
            try:
                await asyncio.to_thread(untar_plain, source, staging)
                for rag in self._rags.values():
                    await rag.finalize_storages()
                self._rags.clear()
                finalize_share_data()
                for entry in sorted(staging.iterdir()):
                    placed = self.data_dir / entry.name
                    if placed.is_dir():
                        shutil.rmtree(placed)
                    elif placed.exists():
                        placed.unlink()
                    entry.rename(placed)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            restored = sorted(p.name for p in self.data_dir.iterdir() if p.is_dir())
            log.info("graph_restored", collections=restored)
            return restored

    async def close(self) -> None:
        for rag in self._rags.values():
            await rag.finalize_storages()
        self._rags.clear()


def _state(status: dict[str, Any]) -> str:
    """A document's LightRAG status as a plain word (`processed`, `failed`, ...)."""
    return str(status.get("status", "")).lower().removeprefix("docstatus.")


def _cause(exc: BaseException, kind: type[DependencyUnavailable]) -> DependencyUnavailable | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


#: LightRAG's bookkeeping, never shown to callers: its chunk ids joined by <SEP>, its file path
#: ("unknown_source": Shield gives none), its empty reference ids and its clock.
_INTERNAL_FIELDS = ("source_id", "file_path", "reference_id", "created_at")


async def _from_paths(rag: LightRAG, paths: dict[str, Trail], limit: int) -> dict[str, Any]:
    """The best `limit` passages of `paths` (each with the relations that led to it), and the
    relations and entities on the way, as LightRAG's own query data has them."""
    graph = rag.chunk_entity_relation_graph
    best = sorted(paths, key=lambda chunk_id: -paths[chunk_id].score)[:limit]
    records = await rag.text_chunks.get_by_ids(best)
    chunks = [
        {
            "chunk_id": chunk_id,
            "content": record.get("content", ""),
            "path": [list(pair) for pair in paths[chunk_id].relations[:4]],
        }
        for chunk_id, record in zip(best, records, strict=True)
        if record
    ]
    pairs = list(dict.fromkeys(pair for c in best for pair in paths[c].relations))
    relations = []
    for source, target in pairs:
        edge = await edge_between(graph, source, target)
        if edge:
            relations.append({"src_id": source, "tgt_id": target, **edge})
    entities = []
    for name in dict.fromkeys(n for pair in pairs for n in pair):
        node = await graph.get_node(name)
        if node:
            entities.append(
                {
                    "entity_name": name,
                    "entity_type": node.get("entity_type", ""),
                    "description": node.get("description", ""),
                    "source_id": node.get("source_id", ""),
                }
            )
    return {"entities": entities, "relations": relations, "chunks": chunks}


def _chunk_ids(item: dict[str, Any]) -> list[str]:
    return [i for i in str(item.get("source_id", "")).split(GRAPH_FIELD_SEP) if i]


def _description(text: Any) -> str:
    """LightRAG's merged descriptions (joined by <SEP>) as one text, each part once."""
    parts = [p.strip() for p in str(text or "").split(GRAPH_FIELD_SEP) if p.strip()]
    return " ".join(dict.fromkeys(parts))


async def _cited(
    rag: LightRAG,
    entities: list[dict[str, Any]],
    relations: list[dict[str, Any]],
    chunks: list[dict[str, Any]],
    limit: int,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """The answer's parts as callers see them: each passage with its document's id, each entity
    and relation with the ids of the documents it was found in, LightRAG's bookkeeping gone.
    Entities and relations come in the order of the best passage they are found in (those in
    none last), twice `limit` of each at most."""
    place = {str(c.get("chunk_id")): number for number, c in enumerate(chunks)}
    kept = set(place)
    wanted = sorted(kept | {i for item in [*entities, *relations] for i in _chunk_ids(item)})
    records = await rag.text_chunks.get_by_ids(wanted) if wanted else []
    document_of = {
        chunk_id: str(record.get("full_doc_id"))
        for chunk_id, record in zip(wanted, records, strict=True)
        if record and record.get("full_doc_id")
    }

    def clean(item: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in item.items() if k not in _INTERNAL_FIELDS}
        if "description" in shown:
            shown["description"] = _description(shown["description"])
        return shown

    def rank(item: dict[str, Any]) -> int:
        """The place of the best passage that holds it; past them all if none does."""
        return min((place[c] for c in _chunk_ids(item) if c in place), default=len(place))

    def ranked(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {
                **clean(item),
                "documents": sorted({document_of[c] for c in _chunk_ids(item) if c in document_of}),
            }
            for item in sorted(items, key=rank)[: 2 * limit]  # a stable sort: LightRAG's order
        ]

    passages = [
        {
            "chunk_id": str(chunk.get("chunk_id")),
            "document_id": document_of.get(str(chunk.get("chunk_id"))),
            "content": str(chunk.get("content", "")),
            **({"path": chunk["path"]} if chunk.get("path") else {}),
        }
        for chunk in chunks
    ]
    return ranked(entities), ranked(relations), passages

"""Examples of shield-api's bodies and answers, shown in /openapi.json, /docs and
docs/API_REFERENCE.md. A unit test validates each against the schema of its route, so an example
cannot drift from the models."""

from __future__ import annotations

from typing import Any

from shield import __version__

JOB_ID = "5f0e9c2a7b8d4e1f9a3c6b0d2e4f6a8b"
JOB_CURSOR = "WzE3NjQ3NzI4MDAuMTIzLCI1ZjBlOWMyYTdiOGQ0ZTFmOWEzYzZiMGQyZTRmNmE4YiJd"
_DOC_ID = "3b1d6f0a-8c2e-5d4b-9f7a-1e6c0b2d4a8f"


def examples(**named: tuple[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """`openapi_examples` of a body: name -> (summary, value)."""
    return {name: {"summary": summary, "value": value} for name, (summary, value) in named.items()}


def answer(example: Any, status: int = 200, description: str = "") -> dict[int | str, Any]:
    """The `responses=` entry that shows an example of a route's successful answer."""
    entry: dict[str, Any] = {"content": {"application/json": {"example": example}}}
    if description:
        entry["description"] = description
    return {status: entry}


INGEST = examples(
    text=(
        "A document given inline",
        {
            "kind": "document",
            "source": "runbooks/disk.md",
            "title": "Disk full",
            "text": "# Disk full\nRun `ncdu /var` to see what fills the disk.",
            "metadata": {"team": "ops"},
        },
    ),
    url=(
        "A document the worker fetches",
        {"kind": "document", "url": "https://example.org/guide.pdf", "collection": "handbook"},
    ),
    inbox=("A folder of the workers' inbox", {"kind": "document", "path": "policies/"}),
    crawl=(
        "A web crawl",
        {
            "kind": "crawl",
            "url": "https://docs.example.org/",
            "allowed_domains": ["https://api.example.org"],
            "max_pages": 100,
            "max_depth": 3,
        },
    ),
)

JOB_ACCEPTED = {
    "job_id": JOB_ID,
    "status": "queued",
    "status_url": f"/jobs/{JOB_ID}",
    "events_url": f"/jobs/{JOB_ID}/events",
}

JOB_STATE: dict[str, Any] = {
    "job_id": JOB_ID,
    "kind": "document",
    "status": "succeeded",
    "stage": "done",
    "collection": "shield",
    "progress": {
        "documents_total": 1,
        "documents_done": 1,
        "documents_failed": 0,
        "chunks_embedded": 3,
        "chunks_stored": 3,
        "pages_discovered": 0,
        "pages_fetched": 0,
        "pages_skipped": 0,
        "pages_failed": 0,
        "graph_pending": 0,
        "graph_stored": 1,
        "graph_failed": 0,
    },
    "result": {
        "documents": [
            {
                "source": "runbooks/disk.md",
                "status": "stored",
                "document_id": _DOC_ID,
                "title": "Disk full",
                "format": None,
                "pages": None,
                "chunks": 3,
                "error": None,
                "graph": "stored",
                "graph_error": None,
            }
        ],
        "chunks": 3,
    },
    "error": None,
    "attempts": 1,
    "max_attempts": 3,
    "created_at": "2026-12-01T09:30:00.120+00:00",
    "started_at": "2026-12-01T09:30:00.180+00:00",
    "updated_at": "2026-12-01T09:30:01.450+00:00",
    "finished_at": "2026-12-01T09:30:01.450+00:00",
    "request": {
        "kind": "document",
        "source": "runbooks/disk.md",
        "title": "Disk full",
        "metadata": {"team": "ops"},
        "text_chars": 52,
    },
}

CANCELLED_STATE: dict[str, Any] = {
    **JOB_STATE,
    "status": "cancelled",
    "stage": "cancelled",
    "error": {"code": "cancelled", "message": "cancelled on request"},
}

SEARCH = examples(
    plain=("A question", {"query": "the disk is full", "limit": 5}),
    by_document=(
        "The best passage of each document, second page",
        {"query": "the disk is full", "group_by": "document", "limit": 5, "offset": 5},
    ),
    exact=(
        "A code or a name: lexical (BM25) alone",
        {"query": "ERR-4471", "mode": "lexical"},
    ),
    filtered=(
        "Only one team's documents, good matches only",
        {
            "query": "the disk is full",
            "filter": {"metadata.team": ["ops", "sre"]},
            "score_threshold": 0.5,
        },
    ),
)

SEARCH_RESPONSE = {
    "collection": "shield",
    "mode": "hybrid",
    "results": [
        {
            "id": "9a4c2e1b-7d3f-5b6a-8c0e-2f4d6b8a0c1e",
            "score": 0.71,
            "text": "# Disk full\nRun `ncdu /var` to see what fills the disk.",
            "document_id": _DOC_ID,
            "source": "runbooks/disk.md",
            "title": "Disk full",
            "headings": ["Disk full"],
            "metadata": {
                "title": "Disk full",
                "headings": ["Disk full"],
                "chunk_index": 0,
                "chunk_count": 3,
                "content_hash": "9f2c4e6a8b0d1f3e5a7c9b2d4f6e8a0c1b3d5f7e9a2c4b6d8f0e1a3c5b7d9f2e",
                "ingested_at": "2026-12-01T09:30:01.402+00:00",
                "job_id": JOB_ID,
                "collection": "shield",
                "metadata": {"team": "ops"},
            },
        }
    ],
}

STORE = examples(
    note=(
        "A short text, found by qdrant_find at once",
        {"text": "The VPN gateway is vpn.example.org", "metadata": {"team": "it"}},
    ),
    several=(
        "Several texts in one call, each its own document",
        {
            "texts": [
                {"text": "The VPN gateway is vpn.example.org", "source": "notes/vpn"},
                {"text": "Printers are on floor 2", "metadata": {"team": "it"}},
            ]
        },
    ),
)

STORE_RESPONSE = {
    "id": "7c2e0a4b-1d3f-5e6a-9b8c-0d2f4a6c8e1b",
    "document_id": "7c2e0a4b-1d3f-5e6a-9b8c-0d2f4a6c8e1b",
    "source": "text:4f9d2c1a8b7e6d5c",
    "collection": "shield",
    "chunks": 1,
}

COLLECTIONS = {
    "collections": [
        {
            "name": "shield",
            "points": 1284,
            "embedding_model": "all-MiniLM-L6-v2",
            "dimension": 384,
            "lexical": True,
            "fusion": "dbsf",
        }
    ]
}

CANCEL_JOBS = examples(
    queued=("Every queued job of a collection", {"status": ["queued"], "collection": "ops"}),
    crawls=("Crawls, queued or running", {"kind": ["crawl"]}),
)

COLLECTION_CREATE = examples(
    default=("Both indexes, the measured default fusion", {"name": "runbooks"}),
    rrf=("Hybrid searches fused by rank alone", {"name": "tickets", "fusion": "rrf"}),
)

DOCUMENT = {
    "document_id": _DOC_ID,
    "source": "runbooks/disk.md",
    "title": "Disk full",
    "chunks": 3,
    "content_hash": "9f2c4e6a8b0d1f3e5a7c9b2d4f6e8a0c1b3d5f7e9a2c4b6d8f0e1a3c5b7d9f2e",
    "ingested_at": "2026-12-01T09:30:01.402+00:00",
    "collection": "shield",
    "job_id": JOB_ID,
    "metadata": {"team": "ops"},
    "graph": "stored",
    "graph_error": None,
}

DOCUMENTS = {"collection": "shield", "documents": [DOCUMENT], "total": 1, "next_offset": None}

DOCUMENT_TEXT = {
    "document_id": _DOC_ID,
    "collection": "shield",
    "source": "runbooks/disk.md",
    "title": "Disk full",
    "chunks": 3,
    "text": "# Disk full\n\nWhen the ledger host's disk fills, rotate the journal first.",
}

DELETED = {"deleted": _DOC_ID, "collection": "shield", "chunks": 3, "graph": "pending"}

COLLECTION_DELETED = {"deleted": "scratch", "documents": 12, "graph": "pending"}

RESTORED = {
    "shield_version": __version__,
    "created_at": "2026-12-01T02:00:04.118+00:00",
    "collections": [{"name": "shield", "points": 1284}],
    "redis_keys": 5210,
    "tokens": {"added": ["oncall-assistant"], "kept": ["ops-ingest"]},
    "graph": True,
}

GRAPH_QUERY = examples(
    question=("A question about entities and relations", {"query": "Who services the boiler?"}),
    local=(
        "Entities near the question, in one collection",
        {"query": "Dana Reyes", "mode": "local", "collection": "facilities", "top_k": 10},
    ),
)

_BOILER_DOC = {
    "document_id": "3d9c1f2a-7b64-5e08-9a1c-4f2b8d6e0a93",
    "source": "runbooks/boiler.md",
    "title": "Boiler",
}
GRAPH_ANSWER = {
    "mode": "hybrid",
    "llm_generated": False,
    "answer": "- Dana Reyes: Services the boiler.\n- Dana Reyes <-> boiler: services\n"
    "(1 passages in chunks, each with its document.)",
    "entities": [
        {
            "entity_name": "Dana Reyes",
            "entity_type": "name",
            "description": "Services the boiler.",
            "documents": [_BOILER_DOC],
        }
    ],
    "relations": [
        {
            "src_id": "Dana Reyes",
            "tgt_id": "boiler",
            "keywords": "services",
            "description": "Dana Reyes services the boiler every March.",
            "documents": [_BOILER_DOC],
        }
    ],
    "chunks": [
        {
            "chunk_id": "chunk-5f0c3e9a1b7d4c2e8a6f1d3b9c7e5a2f",
            **_BOILER_DOC,
            "content": "The boiler is serviced by Dana Reyes every March.",
        }
    ],
    "truncated": False,
    "ms": 41.3,
}

GRAPH_RELATION = examples(
    relation=(
        "The passages behind one relation",
        {"source": "Dana Reyes", "target": "boiler", "collection": "ops"},
    ),
)
GRAPH_RELATION_ANSWER = {
    "source": "Dana Reyes",
    "target": "boiler",
    "keywords": "services",
    "description": "Dana Reyes services the boiler every March.",
    "passages": [
        {
            "chunk_id": "chunk-5f0c3e9a1b7d4c2e8a6f1d3b9c7e5a2f",
            "document_id": "3d9c1f2a-7b64-5e08-9a1c-4f2b8d6e0a93",
            "text": "The boiler is serviced by Dana Reyes every March.",
        }
    ],
}

HEALTH = {"status": "ok", "version": __version__}

READY = {
    "status": "ready",
    "checks": {
        "redis": {"ok": True, "latency_ms": 0.31},
        "vector_store": {"ok": True, "latency_ms": 0.08},
        "embedder": {"ok": True, "latency_ms": 0.01},
    },
}

TOKEN_CREATE = examples(
    reader=("Read one collection", {"name": "oncall-assistant", "scopes": ["read:ops"]}),
    writer=(
        "Read and write one collection, for 30 days",
        {"name": "ops-ingest", "scopes": ["write:ops"], "expires_in": 2_592_000},
    ),
)
TOKEN_PROVISION = examples(
    vault=(
        "A service's token, from the operator's vault",
        {"token": "a-secret-from-the-vault-at-least-16-characters", "scopes": ["write:ops"]},
    ),
)
TOKEN_INFO = {
    "name": "oncall-assistant",
    "scopes": ["read:ops"],
    "created_at": "2026-12-04T09:30:00.000000Z",
    "expires_at": None,
    "expired": False,
}
TOKEN_CREATED = {**TOKEN_INFO, "token": "shd_4Jq0vXh3mZCw9yR2tLkP1sNaB8eD6fGuVxYz7oQiWc"}
WHOAMI = {"name": "oncall-assistant", "kind": "token", "scopes": ["read:ops"]}

SOURCE_CREATE = examples(
    web=(
        "A docs site, synced every six hours",
        {
            "kind": "web",
            "url": "https://docs.example.org/",
            "collection": "handbook",
            "every": "6h",
            "max_pages": 500,
            "max_depth": 3,
        },
    ),
    sitemap=(
        "A site's sitemap, daily",
        {"kind": "sitemap", "url": "https://example.org/sitemap.xml", "every": "1d"},
    ),
    folder=(
        "A folder of the workers' inbox, its Markdown only",
        {
            "kind": "folder",
            "path": "runbooks",
            "include": ["**/*.md"],
            "exclude": ["drafts/**"],
            "every": "30m",
        },
    ),
    git=(
        "A Git repository's docs, hourly (credentials from the workers' git-credentials file)",
        {
            "kind": "git",
            "url": "https://git.example.org/ops/handbook.git",
            "branch": "main",
            "include": ["docs/**/*.md"],
            "every": "1h",
        },
    ),
)

_SOURCE_ID = "5e0c1f7a9b2d4e61"
SOURCE = {
    "source_id": _SOURCE_ID,
    "kind": "web",
    "url": "https://docs.example.org/",
    "path": None,
    "collection": "handbook",
    "every": "6h",
    "prune": True,
    "name": "Product docs",
    "max_pages": 500,
    "max_depth": 3,
    "allowed_domains": None,
    "include": None,
    "exclude": None,
    "branch": None,
    "created_at": "2026-12-01T09:00:00.000+00:00",
    "updated_at": "2026-12-01T09:00:00.000+00:00",
    "documents": 412,
    "last_sync": {
        "job_id": JOB_ID,
        "started_at": "2026-12-07T06:00:01.204+00:00",
        "ended_at": "2026-12-07T06:00:41.877+00:00",
        "status": "succeeded",
        "added": 3,
        "changed": 5,
        "unchanged": 404,
        "removed": 1,
        "failed": 0,
        "error": None,
    },
    "last_success_at": "2026-12-07T06:00:41.877+00:00",
    "next_sync_at": "2026-12-07T12:00:01+00:00",
    "syncing": None,
}
SOURCES = {"sources": [SOURCE]}
SOURCE_UPDATE = examples(
    every=("Sync every hour from now", {"every": "1h"}),
    stop=("Sync only when asked", {"every": None}),
)
SOURCE_DELETED = {"deleted": _SOURCE_ID, "documents_deleted": 0}
SYNC = examples(
    plain=("Sync now", {}),
    force=(
        "Sync, removing what is gone even past the share one sync may remove",
        {"force": True},
    ),
)

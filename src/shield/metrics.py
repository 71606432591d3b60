"""Every Prometheus metric Shield exports, in one place (namespace `shield_`).

Metric names are a contract with the dashboards and alert rules; labels stay bounded (route
templates, never raw paths or ids).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

API_REQUESTS = Counter(
    "shield_api_requests_total",
    "HTTP requests answered by shield-api.",
    ["endpoint", "method", "status"],
)
API_DURATION = Histogram(
    "shield_api_duration_seconds",
    "Time shield-api took to answer a request, by route template.",
    ["endpoint"],
    buckets=LATENCY_BUCKETS,
)
JOBS = Counter(
    "shield_jobs_total",
    "Ingest jobs that reached a state (queued, succeeded, failed, cancelled, retried); a failed "
    'or retried one by its cause (input, dependency, internal), the others with cause "".',
    ["kind", "status", "cause"],
)
JOB_DURATION = Histogram(
    "shield_job_duration_seconds",
    "Time from a job's submission to its final state (succeeded, failed, cancelled).",
    ["kind", "status"],
    buckets=(1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
ACTIVE_JOBS = Gauge("shield_active_jobs", "Jobs this worker is running now.")
QUEUE_SIZE = Gauge("shield_worker_queue_size", "Jobs waiting in a queue.", ["queue"])
INGESTED_CHUNKS = Counter("shield_ingested_chunks_total", "Chunks written to the vector store.")
EMBEDDING_SECONDS = Histogram(
    "shield_embedding_seconds",
    "Time to embed one batch of texts (cache misses only).",
    buckets=LATENCY_BUCKETS,
)
EMBEDDING_CACHE = Counter(
    "shield_embedding_cache_total", "Embedding cache look-ups by result.", ["result"]
)
INDEX_SECONDS = Histogram(
    "shield_vector_index_seconds",
    "Time the embedded vector store took to build its index (requests wait meanwhile).",
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
TOOL_CALLS = Counter(
    "shield_tool_calls_total",
    "MCP tool calls by tool and outcome: ok, invalid (the caller's mistake) or error (Shield's).",
    ["tool", "status"],
)
TOOL_DURATION = Histogram(
    "shield_tool_duration_seconds",
    "Time an MCP tool call took.",
    ["tool"],
    buckets=LATENCY_BUCKETS,
)
TOOL_REJECTIONS = Counter(
    "shield_tool_rejections_total",
    "MCP tool calls refused because the server was at its concurrency limit.",
    ["tool"],
)
BREAKER_OPENED = Counter(
    "shield_circuit_breaker_opened_total",
    "Times a circuit breaker opened.",
    ["service", "breaker"],
)
LIGHTRAG_OPERATIONS = Counter(
    "shield_lightrag_operations_total",
    "Knowledge graph operations (insert, delete, query) by outcome.",
    ["operation", "status"],
)
GRAPH_BACKLOG = Gauge(
    "shield_graph_backlog_documents",
    "Documents searchable already that wait for the knowledge graph (to go in or be forgotten).",
)
GRAPH_BACKLOG_AGE = Gauge(
    "shield_graph_backlog_oldest_seconds",
    "How long the document that has waited longest for the knowledge graph has waited.",
)
GRAPH_DOCUMENTS = Counter(
    "shield_graph_documents_total",
    "Documents the graph feeder settled, by outcome: stored, deleted, retried or failed.",
    ["outcome"],
)
GRAPH_BATCH_SECONDS = Histogram(
    "shield_graph_batch_seconds",
    "Time the knowledge graph took to take one batch of documents.",
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900),
)
# Sources (shield-api reads them from Redis when Prometheus scrapes; see shield.sources.metrics).
_SOURCE = ["source_id", "kind", "collection"]
SOURCE_LAST_SUCCESS = Gauge(
    "shield_source_last_success_timestamp_seconds",
    "When the source last synced successfully (Unix time); its creation until it has.",
    _SOURCE,
)
SOURCE_INTERVAL = Gauge(
    "shield_source_interval_seconds",
    "How often a scheduled source syncs by itself (absent: only when asked).",
    _SOURCE,
)
SOURCE_DOCUMENTS = Gauge("shield_source_documents", "Documents the source keeps.", _SOURCE)
SOURCE_LAST_SYNC = Gauge(
    "shield_source_last_sync_documents",
    "What the source's last sync did, by outcome: added, changed, unchanged, removed, failed.",
    [*_SOURCE, "outcome"],
)
SOURCE_LAST_SYNC_SECONDS = Gauge(
    "shield_source_last_sync_duration_seconds", "How long the source's last sync took.", _SOURCE
)
SOURCE_LAST_SYNC_FAILED = Gauge(
    "shield_source_last_sync_failed",
    "1 if the source's last sync failed (unreachable, or guarded), else 0.",
    _SOURCE,
)

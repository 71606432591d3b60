"""Shield's Grafana dashboards, written with Grafana's Foundation SDK.

Every panel reads Prometheus through the `datasource` variable; panels of a service are filtered
by its `instance` variable. `make monitoring` writes them to monitoring/dashboards/*.json, the
files the grafana role provisions; the live proof test runs every query they hold.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders.dashboard import (
    Dashboard,
    DatasourceVariable,
    QueryVariable,
    Row,
    ThresholdsConfig,
)
from grafana_foundation_sdk.builders.prometheus import Dataquery
from grafana_foundation_sdk.builders.stat import Panel as StatPanel
from grafana_foundation_sdk.builders.statetimeline import Panel as StateTimelinePanel
from grafana_foundation_sdk.builders.timeseries import Panel as TimeseriesPanel
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.common import (
    BigValueColorMode,
    BigValueGraphMode,
    GraphTresholdsStyleMode,
    LegendDisplayMode,
    LegendPlacement,
    SortOrder,
    TooltipDisplayMode,
    VisibilityMode,
)
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef,
    GridPos,
    Threshold,
    ThresholdsMode,
    ValueMap,
    ValueMappingResult,
    VariableRefresh,
    VariableSort,
)

DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
RATE = "$__rate_interval"
TAGS = ["shield"]

Steps = Sequence[tuple[float | None, str]]
GREEN_ONLY: Steps = ((None, "green"),)


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""


@dataclass
class Board:
    """A dashboard being laid out: panels flow left to right in rows of 24 columns."""

    uid: str
    title: str
    description: str
    instance_metric: str | None = None
    builder: Dashboard = field(init=False)
    _x: int = 0
    _y: int = 0
    _row_height: int = 0
    _next_id: int = 1

    def __post_init__(self) -> None:
        self.builder = (
            Dashboard(self.title)
            .uid(self.uid)
            .description(self.description)
            .tags(TAGS)
            .editable()
            .refresh("30s")
            .time("now-3h", "now")
            .timezone("browser")
            .with_variable(DatasourceVariable("datasource").label("Data source").type("prometheus"))
        )
        if self.instance_metric:
            self.builder.with_variable(
                QueryVariable("instance")
                .label("Instance")
                .datasource(DATASOURCE)
                .query(f"label_values({self.instance_metric}, instance)")
                .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
                .multi(True)
                .include_all(True)
                .all_value(".*")
                .sort(VariableSort.ALPHABETICAL_ASC)
            )

    def row(self, title: str) -> None:
        self._newline()
        self.builder.with_row(Row(title).id(self._take_id()).grid_pos(GridPos(1, 24, 0, self._y)))
        self._y += 1

    def add(self, panel: Any, width: int, height: int = 8) -> None:
        if self._x + width > 24:
            self._newline()
        panel.id(self._take_id()).grid_pos(GridPos(height, width, self._x, self._y))
        self.builder.with_panel(panel)
        self._x += width
        self._row_height = max(self._row_height, height)

    def to_json(self) -> str:
        return json.dumps(self.builder.build(), cls=JSONEncoder, indent=2, sort_keys=True) + "\n"

    def _newline(self) -> None:
        if self._x:
            self._y += self._row_height
        self._x = 0
        self._row_height = 0

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1


def _targets(panel: Any, queries: Sequence[Query]) -> Any:
    for index, query in enumerate(queries):
        panel.with_target(
            Dataquery().expr(query.expr).legend_format(query.legend).ref_id(chr(ord("A") + index))
        )
    return panel


def _thresholds(steps: Steps) -> ThresholdsConfig:
    return (
        ThresholdsConfig()
        .mode(ThresholdsMode.ABSOLUTE)
        .steps([Threshold(value=value, color=color) for value, color in steps])
    )


def stat(
    title: str,
    query: str,
    unit: str,
    description: str,
    steps: Steps = GREEN_ONLY,
    legend: str = "",
) -> StatPanel:
    panel = (
        StatPanel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .thresholds(_thresholds(steps))
        .color_mode(BigValueColorMode.VALUE)
        .graph_mode(BigValueGraphMode.AREA)
        .reduce_options(common_builders.ReduceDataOptions().calcs(["lastNotNull"]))
    )
    return _targets(panel, [Query(query, legend)])  # type: ignore[no-any-return]


def timeseries(
    title: str,
    queries: Sequence[Query],
    unit: str,
    description: str,
    steps: Steps | None = None,
    minimum: float | None = 0,
) -> TimeseriesPanel:
    panel = (
        TimeseriesPanel()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .unit(unit)
        .line_width(1)
        .fill_opacity(10)
        .legend(
            common_builders.VizLegendOptions()
            .show_legend(True)
            .display_mode(LegendDisplayMode.TABLE)
            .placement(LegendPlacement.BOTTOM)
            .calcs(["mean", "max", "lastNotNull"])
        )
        .tooltip(
            common_builders.VizTooltipOptions()
            .mode(TooltipDisplayMode.MULTI)
            .sort(SortOrder.DESCENDING)
        )
    )
    if minimum is not None:
        panel.min(minimum)
    if steps:
        panel.thresholds(_thresholds(steps)).thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(GraphTresholdsStyleMode.LINE)
        )
    return _targets(panel, queries)  # type: ignore[no-any-return]


def _quantiles(metric: str, selector: str, by: str, legend: str) -> list[Query]:
    """p50 and p99 of a histogram, per `by` labels."""
    return [
        Query(
            f"histogram_quantile({q}, sum by ({by}{', ' if by else ''}le) "
            f"(rate({metric}_bucket{{{selector}}}[{RATE}])))",
            f"p{round(q * 100)} {legend}".strip(),
        )
        for q in (0.5, 0.99)
    ]


def _process_panels(board: Board, job: str) -> None:
    board.row("Process")
    selector = f'job="{job}", instance=~"$instance"'
    board.add(
        timeseries(
            "Resident memory",
            [Query(f"process_resident_memory_bytes{{{selector}}}", "{{instance}}")],
            "bytes",
            "Memory each process holds; a line that only climbs is a leak.",
        ),
        12,
    )
    board.add(
        timeseries(
            "CPU",
            [Query(f"rate(process_cpu_seconds_total{{{selector}}}[{RATE}])", "{{instance}}")],
            "percentunit",
            "CPU time per second (1 = one core busy).",
        ),
        12,
    )


def mcp_dashboard() -> Board:
    board = Board(
        "shield-mcp",
        "Shield / MCP server",
        "Tool calls of shield-mcp: rate, outcomes, latency per tool, refusals.",
        instance_metric='up{job="shield-mcp"}',
    )
    sel = 'instance=~"$instance"'
    board.row("Overview")
    board.add(
        stat(
            "Tool calls",
            f"sum(rate(shield_tool_calls_total{{{sel}}}[{RATE}]))",
            "reqps",
            "Tool calls per second, every tool and outcome.",
        ),
        6,
        4,
    )
    board.add(
        stat(
            "Error ratio",
            f'(sum(rate(shield_tool_calls_total{{{sel}, status="error"}}[{RATE}])) or vector(0))'
            f" / sum(rate(shield_tool_calls_total{{{sel}}}[{RATE}]))",
            "percentunit",
            "Calls that failed on Shield's side; invalid input is not counted. Alert at 5 %.",
            ((None, "green"), (0.01, "orange"), (0.05, "red")),
        ),
        6,
        4,
    )
    board.add(
        stat(
            "p99 latency",
            "histogram_quantile(0.99, sum by (le) (rate(shield_tool_duration_seconds_bucket"
            f'{{{sel}, tool!="lightrag_query"}}[{RATE}])))',
            "s",
            "99th percentile of every tool but lightrag_query. The SLO: 99 % within 1 s.",
            ((None, "green"), (1, "orange"), (5, "red")),
        ),
        6,
        4,
    )
    board.add(
        stat(
            "Refused calls",
            f"sum(rate(shield_tool_rejections_total{{{sel}}}[{RATE}])) or vector(0)",
            "reqps",
            "Calls refused at the concurrency limit (SHIELD_MAX_CONCURRENT_CALLS).",
            ((None, "green"), (0.001, "red")),
        ),
        6,
        4,
    )
    board.row("Calls")
    board.add(
        timeseries(
            "Calls by tool",
            [Query(f"sum by (tool) (rate(shield_tool_calls_total{{{sel}}}[{RATE}]))", "{{tool}}")],
            "reqps",
            "Tool calls per second.",
        ),
        12,
    )
    board.add(
        timeseries(
            "Outcomes by tool",
            [
                Query(
                    f"sum by (tool, status) (rate(shield_tool_calls_total{{{sel}}}[{RATE}]))",
                    "{{tool}} {{status}}",
                )
            ],
            "reqps",
            "ok; invalid: the caller's mistake (bad input, unknown job); error: Shield's "
            "failure (shield-api down or its circuit open).",
        ),
        12,
    )
    board.add(
        timeseries(
            "Latency by tool",
            _quantiles("shield_tool_duration_seconds", sel, "tool", "{{tool}}"),
            "s",
            "p50 and p99 per tool. Ingest tools only queue work and answer at once.",
            ((None, "green"), (1, "orange"), (5, "red")),
        ),
        12,
    )
    board.add(
        timeseries(
            "Refused calls by tool",
            [
                Query(
                    f"sum by (tool) (rate(shield_tool_rejections_total{{{sel}}}[{RATE}]))",
                    "{{tool}}",
                )
            ],
            "reqps",
            "Calls refused at once because the server was at its concurrency limit.",
        ),
        12,
    )
    _process_panels(board, "shield-mcp")
    return board


def api_dashboard() -> Board:
    board = Board(
        "shield-api",
        "Shield / Orchestrator API",
        "shield-api: requests per route, errors, latency, the vector store and the embedder.",
        instance_metric='up{job="shield-api"}',
    )
    sel = 'instance=~"$instance"'
    board.row("Overview")
    board.add(
        stat(
            "Requests",
            f"sum(rate(shield_api_requests_total{{{sel}}}[{RATE}]))",
            "reqps",
            "Requests per second, every route.",
        ),
        6,
        4,
    )
    board.add(
        stat(
            "5xx ratio",
            f'(sum(rate(shield_api_requests_total{{{sel}, status=~"5.."}}[{RATE}])) or vector(0))'
            f" / sum(rate(shield_api_requests_total{{{sel}}}[{RATE}]))",
            "percentunit",
            "Server errors, 503s of an open circuit included. Alert at 5 %.",
            ((None, "green"), (0.01, "orange"), (0.05, "red")),
        ),
        6,
        4,
    )
    board.add(
        stat(
            "p99 latency",
            "histogram_quantile(0.99, sum by (le) (rate(shield_api_duration_seconds_bucket"
            f'{{{sel}, endpoint!~"/jobs/.+/events|/lightrag/query|/metrics"}}[{RATE}])))',
            "s",
            "99th percentile over the routes the latency alert watches (2.5 s).",
            ((None, "green"), (1, "orange"), (2.5, "red")),
        ),
        6,
        4,
    )
    board.add(
        stat(
            "Queued jobs",
            "max(shield_worker_queue_size)",
            "none",
            "Jobs waiting for a worker.",
            ((None, "green"), (20, "orange"), (100, "red")),
        ),
        6,
        4,
    )
    board.row("Requests")
    board.add(
        timeseries(
            "Requests by route",
            [
                Query(
                    f"sum by (endpoint, method) (rate(shield_api_requests_total{{{sel}}}[{RATE}]))",
                    "{{method}} {{endpoint}}",
                )
            ],
            "reqps",
            "Requests per second per route template.",
        ),
        12,
    )
    board.add(
        timeseries(
            "Responses by status",
            [
                Query(
                    f"sum by (status) (rate(shield_api_requests_total{{{sel}}}[{RATE}]))",
                    "{{status}}",
                )
            ],
            "reqps",
            "4xx are the callers' mistakes; 5xx are Shield's (503: a dependency's circuit open).",
        ),
        12,
    )
    board.add(
        timeseries(
            "Latency p99 by route",
            [
                Query(
                    "histogram_quantile(0.99, sum by (endpoint, le) "
                    f"(rate(shield_api_duration_seconds_bucket{{{sel}}}[{RATE}])))",
                    "{{endpoint}}",
                )
            ],
            "s",
            "The job event stream is long by design.",
            ((None, "green"), (2.5, "red")),
        ),
        12,
    )
    board.add(
        timeseries(
            "Errors by route",
            [
                Query(
                    "sum by (endpoint, status) "
                    f'(rate(shield_api_requests_total{{{sel}, status=~"5.."}}[{RATE}]))',
                    "{{endpoint}} {{status}}",
                )
            ],
            "reqps",
            "Server errors per route and status.",
        ),
        12,
    )
    board.row("Store and embedder")
    board.add(
        timeseries(
            "Embedding time",
            _quantiles("shield_embedding_seconds", sel, "", ""),
            "s",
            "Time to embed one batch (cache misses only).",
        ),
        8,
    )
    board.add(
        timeseries(
            "Embedding cache",
            [
                Query(
                    f"sum by (result) (rate(shield_embedding_cache_total{{{sel}}}[{RATE}]))",
                    "{{result}}",
                )
            ],
            "ops",
            "Look-ups by result (SHIELD_EMBEDDING_CACHE_SIZE).",
        ),
        8,
    )
    board.add(
        timeseries(
            "Chunks stored",
            [Query(f"sum(rate(shield_ingested_chunks_total{{{sel}}}[{RATE}]))", "chunks/s")],
            "ops",
            "Chunks written to the vector store per second.",
        ),
        8,
    )
    _process_panels(board, "shield-api")
    return board


BREAKER_STATES = {"0": ("closed", "green"), "1": ("open", "red"), "2": ("half-open", "yellow")}


def breakers_dashboard() -> Board:
    board = Board(
        "shield-breakers",
        "Shield / Circuit breakers",
        "Every circuit breaker of every service: state now, over time, and how often it opens.",
        instance_metric="shield_circuit_breaker_state",
    )
    sel = 'instance=~"$instance"'
    board.row("Now")
    board.add(
        stat(
            "Open circuits",
            f"count(shield_circuit_breaker_state{{{sel}}} == 1) or vector(0)",
            "none",
            "Breakers open now: calls to their dependency fail fast with retry_after.",
            ((None, "green"), (1, "red")),
        ),
        6,
        4,
    )
    board.add(
        stat(
            "Half-open circuits",
            f"count(shield_circuit_breaker_state{{{sel}}} == 2) or vector(0)",
            "none",
            "Breakers letting one trial call through after their recovery time.",
            ((None, "green"), (1, "yellow")),
        ),
        6,
        4,
    )
    board.add(
        stat(
            "Openings in the range",
            f"sum(increase(shield_circuit_breaker_opened_total{{{sel}}}[$__range])) or vector(0)",
            "none",
            "Times any breaker opened over the dashboard's time range.",
            ((None, "green"), (1, "orange"), (10, "red")),
        ),
        12,
        4,
    )
    board.row("Over time")
    mappings = ValueMap(
        {
            value: ValueMappingResult(text=text, color=color)
            for value, (text, color) in BREAKER_STATES.items()
        }
    )
    state = (
        StateTimelinePanel()
        .title("State per breaker")
        .description("0 closed, 1 open, 2 half-open; one line per service and dependency.")
        .datasource(DATASOURCE)
        .mappings([mappings])
        .show_value(VisibilityMode.NEVER)
    )
    _targets(
        state,
        [
            Query(
                f"max by (service, breaker) (shield_circuit_breaker_state{{{sel}}})",
                "{{service}} → {{breaker}}",
            )
        ],
    )
    board.add(state, 24, 9)
    board.add(
        timeseries(
            "Openings",
            [
                Query(
                    "sum by (service, breaker) "
                    f"(increase(shield_circuit_breaker_opened_total{{{sel}}}[{RATE}]))",
                    "{{service}} → {{breaker}}",
                )
            ],
            "none",
            "Times each breaker opened (transitions from closed or half-open to open).",
        ),
        12,
    )
    board.add(
        timeseries(
            "State changes",
            [
                Query(
                    "sum by (service, breaker) "
                    f"(changes(shield_circuit_breaker_state{{{sel}}}[{RATE}]))",
                    "{{service}} → {{breaker}}",
                )
            ],
            "none",
            "Every transition seen by the scrapes (open, half-open, closed).",
        ),
        12,
    )
    return board


def jobs_dashboard() -> Board:
    board = Board(
        "shield-jobs",
        "Shield / Jobs and workers",
        "Crawl and ingest jobs: queue, workers, throughput, failures and duration; the graph.",
        instance_metric='up{job="shield-worker"}',
    )
    sel = 'instance=~"$instance"'
    board.row("Overview")
    board.add(
        stat(
            "Workers up",
            'count(up{job="shield-worker"} == 1) or vector(0)',
            "none",
            "Worker processes Prometheus scrapes. None: jobs wait (nothing is lost).",
            ((None, "red"), (1, "green")),
        ),
        6,
        4,
    )
    board.add(
        stat(
            "Queued",
            "max(shield_worker_queue_size)",
            "none",
            "Jobs waiting for a worker.",
            ((None, "green"), (20, "orange"), (100, "red")),
        ),
        6,
        4,
    )
    board.add(
        stat(
            "Running",
            f'sum(shield_active_jobs{{job="shield-worker", {sel}}})',
            "none",
            "Jobs the workers run now.",
        ),
        6,
        4,
    )
    board.add(
        stat(
            "Failure ratio",
            '(sum(rate(shield_jobs_total{status="failed"}[1h])) or vector(0))'
            ' / sum(rate(shield_jobs_total{status=~"succeeded|failed"}[1h]))',
            "percentunit",
            "Jobs that ended failed over the last hour. Alert at 10 %.",
            ((None, "green"), (0.01, "orange"), (0.1, "red")),
        ),
        6,
        4,
    )
    board.row("Queue and workers")
    board.add(
        timeseries(
            "Queue depth",
            [Query("max by (queue) (shield_worker_queue_size)", "{{queue}}")],
            "none",
            "Jobs waiting; a backlog that grows for 15 minutes alerts.",
            ((None, "green"), (20, "orange")),
        ),
        12,
    )
    board.add(
        timeseries(
            "Running jobs",
            [Query(f'shield_active_jobs{{job="shield-worker", {sel}}}', "{{instance}}")],
            "none",
            "Jobs each worker runs (one at a time).",
        ),
        12,
    )
    board.row("Throughput and failures")
    board.add(
        timeseries(
            "Jobs finished",
            [
                Query(
                    "sum by (kind, status) "
                    f'(rate(shield_jobs_total{{status=~"succeeded|failed|cancelled"}}[{RATE}]))',
                    "{{kind}} {{status}}",
                )
            ],
            "ops",
            "Jobs reaching a final state per second.",
        ),
        12,
    )
    board.add(
        timeseries(
            "Submitted, retried, failed",
            [
                Query(
                    "sum by (status) "
                    f'(rate(shield_jobs_total{{status=~"queued|retried|failed"}}[{RATE}]))',
                    "{{status}}",
                )
            ],
            "ops",
            "retried: an attempt failed (a worker lost, a dependency down) and runs again.",
        ),
        12,
    )
    board.add(
        timeseries(
            "Job duration",
            _quantiles("shield_job_duration_seconds", 'status="succeeded"', "kind", "{{kind}}"),
            "s",
            "Submission to the end, queueing included. The SLO: 95 % within 5 minutes.",
            ((None, "green"), (300, "red")),
        ),
        12,
    )
    board.add(
        timeseries(
            "Chunks stored",
            [Query(f"sum(rate(shield_ingested_chunks_total[{RATE}]))", "chunks/s")],
            "ops",
            "Chunks written to the vector store per second.",
        ),
        12,
    )
    board.row("Knowledge graph")
    board.add(
        timeseries(
            "Graph operations",
            [
                Query(
                    f"sum by (operation, status) (rate(shield_lightrag_operations_total[{RATE}]))",
                    "{{operation}} {{status}}",
                )
            ],
            "ops",
            "Inserts, deletes and queries of shield-lightrag by outcome.",
        ),
        12,
    )
    board.add(
        timeseries(
            "Documents waiting for the graph",
            [
                Query("max(shield_graph_backlog_documents)", "documents"),
                Query("max(shield_graph_backlog_oldest_seconds)", "oldest, s"),
            ],
            "short",
            "Searchable already, not yet in the knowledge graph; and how long the oldest has "
            "waited (the alert fires past an hour).",
        ),
        12,
    )
    board.add(
        timeseries(
            "Graph feeder",
            [
                Query(
                    f"sum by (outcome) (rate(shield_graph_documents_total[{RATE}]))",
                    "{{outcome}}",
                )
            ],
            "ops",
            "Documents the graph took in (stored), forgot (deleted), failed and will retry, or "
            "gave up on (failed).",
        ),
        12,
    )
    board.add(
        timeseries(
            "LLM calls",
            [
                Query(f"sum(rate(shield_lightrag_llm_calls_total[{RATE}]))", "calls"),
                Query(f"sum(rate(shield_lightrag_llm_cache_hits_total[{RATE}]))", "cache hits"),
            ],
            "ops",
            "Calls LightRAG made to the LLM, and answers it served from its cache.",
        ),
        12,
    )
    board.row("Sources")
    board.add(
        timeseries(
            "Since each source's last successful sync",
            [
                Query(
                    "time() - max by (source_id, kind) "
                    "(shield_source_last_success_timestamp_seconds)",
                    "{{kind}} {{source_id}}",
                )
            ],
            "s",
            "How long ago each source last synced successfully (since it was made, until it "
            "has); the alert fires past three of a scheduled source's intervals.",
        ),
        12,
    )
    board.add(
        timeseries(
            "Sources' last syncs",
            [
                Query(
                    "sum by (outcome) (shield_source_last_sync_documents)",
                    "{{outcome}}",
                ),
                Query("sum(shield_source_last_sync_failed)", "sources failing"),
            ],
            "short",
            "What the sources' last syncs did, all sources together: documents added, changed, "
            "unchanged, removed, failed; and how many sources' last sync failed.",
        ),
        12,
    )
    _process_panels(board, "shield-worker")
    return board


def slo_dashboard() -> Board:
    board = Board(
        "shield-slo",
        "Shield / SLOs",
        "The SLOs of monitoring/slo.yml: attainment, error budget left, burn rates.",
    )
    board.row("Over 30 days")
    board.add(
        stat(
            "Attainment",
            "1 - slo:sli_error:ratio_rate30d",
            "percentunit",
            "The share of good events over the SLO period, per SLO.",
            legend="{{slo}}",
        ).decimals(3),
        12,
        6,
    )
    board.add(
        stat(
            "Error budget left",
            "1 - slo:sli_error:ratio_rate30d / on (slo) slo:error_budget:ratio",
            "percentunit",
            "What remains of the period's error budget; below 0 the SLO is missed.",
            ((None, "red"), (0.25, "orange"), (0.5, "green")),
            legend="{{slo}}",
        ),
        12,
        6,
    )
    board.row("Burn rate")
    board.add(
        timeseries(
            "Burn rate, 1 hour",
            [Query("slo:sli_error:ratio_rate1h / on (slo) slo:error_budget:ratio", "{{slo}}")],
            "none",
            "1 spends the budget exactly over 30 days; 14.4 (with the 5 minute window) pages.",
            ((None, "green"), (6, "orange"), (14.4, "red")),
        ),
        12,
    )
    board.add(
        timeseries(
            "Burn rate, 6 hours",
            [Query("slo:sli_error:ratio_rate6h / on (slo) slo:error_budget:ratio", "{{slo}}")],
            "none",
            "6 (with the 30 minute window) pages; 3 over a day opens a ticket.",
            ((None, "green"), (3, "orange"), (6, "red")),
        ),
        12,
    )
    board.add(
        timeseries(
            "Error ratio, 5 minutes",
            [Query("slo:sli_error:ratio_rate5m", "{{slo}}")],
            "percentunit",
            "Bad events over all events, per SLO.",
        ),
        24,
    )
    return board


DASHBOARDS: tuple[Callable[[], Board], ...] = (
    mcp_dashboard,
    api_dashboard,
    breakers_dashboard,
    jobs_dashboard,
    slo_dashboard,
)


def render_all() -> dict[str, str]:
    """File name → JSON text of every dashboard."""
    return {f"{board.uid}.json": board.to_json() for board in (make() for make in DASHBOARDS)}

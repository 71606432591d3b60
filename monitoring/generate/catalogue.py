"""What the monitoring assets refer to: Shield's metrics as its code registers them, the rules,
the dashboards' queries, and the metric names a PromQL expression reads."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import promql_parser
import yaml

ROOT = Path(__file__).resolve().parents[2]
MONITORING = ROOT / "monitoring"
RULES_DIR = MONITORING / "rules"
DASHBOARDS_DIR = MONITORING / "dashboards"


def resolve(expr: str, rate_interval: str = "5m", range_: str = "1h") -> str:
    """An expression with Grafana's variables given values Prometheus understands, as a person
    would see it with every instance selected."""
    values = {
        "$__rate_interval": rate_interval,
        "$__range": range_,
        "$__interval": "15s",
        "$instance": ".*",
    }
    for variable, value in values.items():
        expr = expr.replace(variable, value)
    return expr


@dataclass(frozen=True)
class MetricInfo:
    name: str
    kind: str
    help: str
    labels: tuple[str, ...]

    @property
    def series_names(self) -> tuple[str, ...]:
        """The names the exposition holds for this metric."""
        if self.kind == "counter":
            return (f"{self.name}_total",)
        if self.kind == "histogram":
            return tuple(f"{self.name}_{suffix}" for suffix in ("bucket", "count", "sum"))
        return (self.name,)


def shield_metrics() -> list[MetricInfo]:
    """Every `shield_` metric the services register, read from the code itself."""
    from prometheus_client.metrics import MetricWrapperBase

    import shield.metrics
    from shield.graph_service.llm import LlmCacheCollector
    from shield.resilience import BreakerStateCollector

    found: list[MetricInfo] = []
    for value in vars(shield.metrics).values():
        if isinstance(value, MetricWrapperBase):
            (family,) = value.describe()
            labels = tuple(value._labelnames)
            found.append(MetricInfo(family.name, family.type, family.documentation, labels))
    for collector in (BreakerStateCollector(), LlmCacheCollector()):
        for family in collector.collect():
            labels = tuple(getattr(family, "_labelnames", ()))
            found.append(MetricInfo(family.name, family.type, family.documentation, labels))
    return sorted(found, key=lambda metric: metric.name)


def rule_files() -> list[Path]:
    return sorted(RULES_DIR.glob("*.yml"))


def rules() -> Iterator[dict[str, Any]]:
    """Every rule of every group, with its group's name under `group`."""
    for path in rule_files():
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                yield {**rule, "group": group["name"], "file": path.name}


def recorded_names() -> set[str]:
    return {rule["record"] for rule in rules() if "record" in rule}


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    expr: str

    @property
    def resolved(self) -> str:
        return resolve(self.expr)


def dashboards() -> dict[str, dict[str, Any]]:
    return {
        path.stem: json.loads(path.read_text()) for path in sorted(DASHBOARDS_DIR.glob("*.json"))
    }


def panel_queries() -> list[PanelQuery]:
    found = []
    for uid, board in dashboards().items():
        for panel in board["panels"]:
            for target in panel.get("targets", []):
                found.append(PanelQuery(uid, panel["title"], target["expr"]))
    return found


def variable_queries() -> list[PanelQuery]:
    """The dashboards' `label_values(metric, label)` variables, as the metric selector."""
    found = []
    for uid, board in dashboards().items():
        for variable in board["templating"]["list"]:
            match = re.fullmatch(r"label_values\((.+),\s*\w+\)", str(variable.get("query", "")))
            if match:
                found.append(PanelQuery(uid, f"${variable['name']}", match.group(1)))
    return found


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects."""
    names: set[str] = set()
    pending: list[Any] = [promql_parser.parse(expr)]
    while pending:
        node = pending.pop()
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)
        for attribute in ("lhs", "rhs", "expr", "args", "param", "vector_selector"):
            child = getattr(node, attribute, None)
            if isinstance(child, list | tuple):
                pending.extend(child)
            elif child is not None:
                pending.append(child)
    return names

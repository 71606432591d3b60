"""The generated sections of docs/MONITORING.md: metrics, dashboards, alerts and SLOs.

Each section sits between `<!-- generated:NAME -->` and `<!-- end:NAME -->`; the text around them
is written by hand.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from monitoring.generate import catalogue
from monitoring.generate.slo import BURN_ALERTS, PERIOD_WINDOW, Slo

PICTURES = "monitoring"  # docs/monitoring/<uid>.png, rendered by the live proof test


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def metrics_section() -> str:
    lines = ["| Metric | Type | Labels | Meaning |", "|---|---|---|---|"]
    for metric in catalogue.shield_metrics():
        names = "<br>".join(f"`{name}`" for name in metric.series_names)
        labels = ", ".join(f"`{label}`" for label in metric.labels) or "-"
        lines.append(f"| {names} | {metric.kind} | {labels} | {_cell(metric.help)} |")
    return "\n".join(lines)


def dashboards_section() -> str:
    parts = []
    for uid, board in catalogue.dashboards().items():
        parts.append(f"### {board['title']}\n")
        parts.append(f"`monitoring/dashboards/{uid}.json` (uid `{uid}`). {board['description']}\n")
        parts.append(f"![{board['title']}]({PICTURES}/{uid}.png)\n")
        parts.append("| Panel | Shows |\n|---|---|")
        parts.extend(
            f"| {_cell(panel['title'])} | {_cell(panel.get('description', ''))} |"
            for panel in board["panels"]
            if panel["type"] != "row"
        )
        parts.append("")
    return "\n".join(parts).rstrip()


def _untemplated(text: str) -> str:
    """An annotation with its Go templates shown as placeholders: `{instance}`, `{value}`."""
    text = re.sub(r"\{\{\s*\$labels\.(\w+)\s*\}\}", r"{\1}", text)
    return re.sub(r"\{\{\s*\$value[^}]*\}\}", "{value}", text)


def alerts_section() -> str:
    lines = ["| Alert | Severity | For | Fires when | Runbook |", "|---|---|---|---|---|"]
    seen: set[str] = set()
    for rule in catalogue.rules():
        name = rule.get("alert")
        if not name or name in seen:
            continue
        seen.add(name)
        summary = _untemplated(rule["annotations"]["summary"])
        if rule["file"] == "slo.yml":
            summary = f"an SLO {summary.split(' ', 2)[2]}"
        lines.append(
            f"| `{name}` | {rule['labels']['severity']} | {rule.get('for', '-')} | "
            f"{_cell(summary)} | [{name}](RUNBOOK.md#{name.lower()}) |"
        )
    return "\n".join(lines)


def slo_section(slos: list[Slo]) -> str:
    lines = [
        f"| SLO | Objective ({PERIOD_WINDOW}) | Error budget | Good events |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{slo.name}` | {slo.objective:.1%} | {slo.budget:.1%} | {_cell(slo.description)} |"
        for slo in slos
    ]
    lines += [
        "",
        "| Alert | Severity | Burn rate over the long and the short window |",
        "|---|---|---|",
    ]
    for alert in BURN_ALERTS:
        windows = "; or ".join(
            f"{rate:g}x over {long} and {short}" for rate, long, short in alert.conditions
        )
        lines.append(f"| `{alert.name}` | {alert.severity} | {windows} |")
    return "\n".join(lines)


def _escaped(text: str) -> str:
    """`text` as a literal in a replacement template."""
    return text.replace("\\", "\\\\")


def fill(document: str, sections: dict[str, Callable[[], str]]) -> str:
    for name, make in sections.items():
        begin, finish = f"<!-- generated:{name} -->\n", f"<!-- end:{name} -->"
        pattern = re.compile(rf"({re.escape(begin)})(?:.*?\n)?({re.escape(finish)})", re.DOTALL)
        if not pattern.search(document):
            raise ValueError(f"docs/MONITORING.md has no generated:{name} section")
        document = pattern.sub(rf"\g<1>{_escaped(make())}\n\g<2>", document)
    return document


def render(path: Path, slos: list[Slo]) -> str:
    return fill(
        path.read_text(),
        {
            "metrics": metrics_section,
            "dashboards": dashboards_section,
            "alerts": alerts_section,
            "slos": lambda: slo_section(slos),
        },
    )

"""monitoring/slo.yml → Prometheus rules: error ratios per window, multi-window burn-rate alerts.

The windows and burn rates are those of Google's SRE workbook ("Alerting on SLOs") for a 30 day
period: a page when 2 % of the budget burns in an hour or 5 % in six hours, a ticket when 10 %
burns in a day or three days.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PERIOD_WINDOW = "30d"
# The burn-rate windows, and the period itself for attainment and the budget left. The period's
# ratio comes from the counters, not an average of the 5m ratio: a quiet 5 minutes (0 / 0, NaN)
# would poison such an average for 30 days, and it would weigh a quiet hour like a busy one.
WINDOWS = ("5m", "30m", "1h", "2h", "6h", "1d", "3d", PERIOD_WINDOW)


@dataclass(frozen=True)
class BurnAlert:
    name: str
    severity: str
    # (burn rate, long window, short window): both windows must burn faster than the rate.
    conditions: tuple[tuple[float, str, str], ...]
    summary: str


BURN_ALERTS = (
    BurnAlert(
        "ShieldErrorBudgetBurnFast",
        "critical",
        ((14.4, "1h", "5m"), (6, "6h", "30m")),
        "spends its error budget fast: at this pace the whole 30-day budget is gone in days",
    ),
    BurnAlert(
        "ShieldErrorBudgetBurnSlow",
        "warning",
        ((3, "1d", "2h"), (1, "3d", "6h")),
        "spends its error budget faster than the 30-day period allows",
    ),
)


@dataclass(frozen=True)
class Slo:
    name: str
    objective: float
    description: str
    errors: str
    total: str
    # A burn-rate alert fires only on enough traffic: at least `min_events` events and
    # `min_errors` bad ones in its long window. Three slow calls on a quiet day are not an
    # outage, however large their share.
    min_events: int = 100
    min_errors: int = 10

    @property
    def budget(self) -> float:
        return round(1 - self.objective, 6)

    def events(self, window: str, which: str) -> str:
        """The number of `which` ("errors" or "total") events over `window`."""
        rate = " ".join(getattr(self, which).replace("{{window}}", window).split())
        return f"({rate}) * {_seconds(window)}"

    def error_ratio(self, window: str) -> str:
        errors = " ".join(self.errors.replace("{{window}}", window).split())
        total = " ".join(self.total.replace("{{window}}", window).split())
        return f"({errors})\n/\n({total})"


def load(path: Path) -> list[Slo]:
    spec = yaml.safe_load(path.read_text())
    if spec.get("period") != PERIOD_WINDOW:
        raise ValueError(f"{path}: only a {PERIOD_WINDOW} period is supported")
    slos = [Slo(**item) for item in spec["slos"]]
    for slo in slos:
        if not 0 < slo.objective < 1:
            raise ValueError(f"{path}: {slo.name}: objective must be between 0 and 1")
        if "{{window}}" not in slo.errors or "{{window}}" not in slo.total:
            raise ValueError(f"{path}: {slo.name}: errors and total must use {{{{window}}}}")
    return slos


_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}


def _seconds(window: str) -> int:
    return int(window[:-1]) * _UNIT_SECONDS[window[-1]]


def _number(value: float) -> str:
    return f"{value:g}"


def _group(slo: Slo) -> dict[str, Any]:
    label = {"slo": slo.name}
    rules: list[dict[str, Any]] = [
        {"record": "slo:objective:ratio", "expr": _number(slo.objective), "labels": label},
        {"record": "slo:error_budget:ratio", "expr": _number(slo.budget), "labels": label},
    ]
    rules += [
        {
            "record": f"slo:sli_error:ratio_rate{window}",
            "expr": slo.error_ratio(window),
            "labels": label,
        }
        for window in WINDOWS
    ]
    for alert in BURN_ALERTS:
        clauses = []
        for rate, long_window, short_window in alert.conditions:
            threshold = _number(round(rate * slo.budget, 6))
            clauses.append(
                f'(\n  slo:sli_error:ratio_rate{long_window}{{slo="{slo.name}"}} > {threshold}\n'
                f'  and slo:sli_error:ratio_rate{short_window}{{slo="{slo.name}"}} > {threshold}\n'
                f"  and on() {slo.events(long_window, 'total')} >= {slo.min_events}\n"
                f"  and on() {slo.events(long_window, 'errors')} >= {slo.min_errors}\n)"
            )
        rules.append(
            {
                "alert": alert.name,
                "expr": "\nor\n".join(clauses),
                "labels": {"severity": alert.severity, "slo": slo.name},
                "annotations": {
                    "summary": f"SLO {slo.name} {alert.summary}",
                    "description": f"{slo.description.strip()} Objective: "
                    f"{slo.objective:.2%} over {PERIOD_WINDOW}. Error ratio over the long "
                    "window: {{ $value | humanizePercentage }}.",
                    "runbook_url": f"docs/RUNBOOK.md#{alert.name.lower()}",
                },
            }
        )
    return {"name": f"slo-{slo.name}", "rules": rules}


class _LiteralDumper(yaml.SafeDumper):
    """Multi-line expressions as YAML block scalars, as a person would write them."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _str_representer)

HEADER = """\
# Generated from monitoring/slo.yml by `make monitoring`: do not edit by hand.
# Per SLO: the objective, the error budget, the error ratio over each window, and the
# multi-window burn-rate alerts (see monitoring/slo.yml).
"""


def render(slos: list[Slo]) -> str:
    body: str = yaml.dump(
        {"groups": [_group(slo) for slo in slos]},
        Dumper=_LiteralDumper,
        sort_keys=False,
        width=100,
    )
    return HEADER + body

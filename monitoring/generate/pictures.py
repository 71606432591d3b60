"""Draws a dashboard's panels, laid out as Grafana lays them out, from a Prometheus' range
queries: pictures for the documentation, drawn from real data rather than mock-ups.

Grafana cannot run here, so this is a sketch of what it shows (same queries, legends, units,
thresholds and layout), not Grafana's own rendering.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib as mpl

mpl.use("Agg")  # files only, no display

import matplotlib.pyplot as plt
from matplotlib.axes import Axes

Fetch = Callable[[str], list[dict[str, Any]]]
COLUMN_INCHES = 0.72
ROW_INCHES = 0.5
MAX_LINES = 8
COLORS = {"green": "#56a64b", "orange": "#ff9830", "red": "#e02f44", "yellow": "#f2cc0c"}
BACKGROUND = "#181b1f"
PANEL = "#111217"
TEXT = "#ccccdc"


def _legend(template: str, labels: dict[str, str]) -> str:
    text = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), template)
    return text.strip() or ", ".join(f"{k}={v}" for k, v in labels.items() if k != "__name__")


def _format(value: float, unit: str) -> str:
    if not math.isfinite(value):
        return "-"
    if unit == "percentunit":
        return f"{value * 100:.3g} %"
    if unit == "s":
        return f"{value * 1000:.3g} ms" if abs(value) < 1 else f"{value:.3g} s"
    if unit == "bytes":
        return f"{value / 2**20:.4g} MiB"
    suffix = {"reqps": " req/s", "ops": " /s"}.get(unit, "")
    return f"{value:.3g}{suffix}"


def _color(value: float, steps: list[dict[str, Any]]) -> str:
    color = "green"
    for step in steps:
        if step.get("value") is None or value >= step["value"]:
            color = step["color"]
    return COLORS.get(color, color)


def _series(fetch: Fetch, panel: dict[str, Any]) -> list[tuple[str, list[float], list[float]]]:
    found = []
    for target in panel.get("targets", []):
        for result in fetch(target["expr"]):
            times = [float(t) for t, _ in result["values"]]
            values = [float(v) for _, v in result["values"]]
            found.append((_legend(target.get("legendFormat", ""), result["metric"]), times, values))
    return found


def _style(axes: Axes, title: str) -> None:
    axes.set_facecolor(PANEL)
    axes.set_title(title, color=TEXT, fontsize=9, loc="left")
    axes.tick_params(colors=TEXT, labelsize=7)
    for spine in axes.spines.values():
        spine.set_color("#2c3235")


def _stat(axes: Axes, panel: dict[str, Any], fetch: Fetch) -> None:
    defaults = panel["fieldConfig"]["defaults"]
    steps = defaults.get("thresholds", {}).get("steps", [])
    values = [
        (legend, last)
        for legend, _, points in _series(fetch, panel)
        for last in [next((v for v in reversed(points) if math.isfinite(v)), None)]
        if last is not None
    ]
    if not values:
        axes.text(0.5, 0.5, "No data", ha="center", va="center", color=TEXT, fontsize=12)
    # One value per series, side by side, as Grafana shows them.
    for index, (legend, last) in enumerate(values):
        x = (index + 0.5) / len(values)
        text = _format(last, defaults.get("unit", ""))
        big = 20 if len(values) == 1 else 14
        axes.text(
            x,
            0.45,
            text,
            ha="center",
            va="center",
            color=_color(last, steps),
            fontsize=big,
            fontweight="bold",
        )
        if len(values) > 1:
            axes.text(x, 0.8, legend, ha="center", va="center", color=TEXT, fontsize=8)
    axes.set_xticks([])
    axes.set_yticks([])


def _timeseries(axes: Axes, panel: dict[str, Any], fetch: Fetch, start: float | None) -> None:
    unit = panel["fieldConfig"]["defaults"].get("unit", "")
    series = _series(fetch, panel)
    if not series:
        axes.text(
            0.5, 0.5, "No data", ha="center", va="center", color=TEXT, transform=axes.transAxes
        )
    origin = start if start is not None else min((t[0] for _, t, _ in series if t), default=0.0)
    # Series that stayed at 0 (every tool's error count, say) would bury the others' legend.
    moving = [item for item in series if any(v != 0 for v in item[2] if math.isfinite(v))]
    for legend, times, values in (moving or series)[:MAX_LINES]:
        axes.plot([t - origin for t in times], values, linewidth=1.2, label=legend[:40])
    axes.yaxis.set_major_formatter(lambda value, _: _format(value, unit))
    if series:
        axes.legend(fontsize=6, loc="upper left", facecolor=PANEL, labelcolor=TEXT, framealpha=0.5)
    axes.grid(color="#2c3235", linewidth=0.5)


def _state_timeline(axes: Axes, panel: dict[str, Any], fetch: Fetch, start: float | None) -> None:
    mapping = panel["fieldConfig"]["defaults"]["mappings"][0]["options"]
    series = _series(fetch, panel)
    origin = start if start is not None else min((t[0] for _, t, _ in series if t), default=0.0)
    for row, (legend, times, values) in enumerate(series):
        for index, (moment, value) in enumerate(zip(times, values, strict=True)):
            end = times[index + 1] if index + 1 < len(times) else moment + 1
            state = mapping.get(str(int(value)), {"color": "grey"})
            axes.barh(row, end - moment, left=moment - origin, color=COLORS.get(state["color"]))
        axes.text(0, row, f" {legend}", va="center", color="black", fontsize=7)
    axes.set_yticks([])


def render(board: dict[str, Any], fetch: Fetch, path: Path, start: float | None = None) -> None:
    """Draws `board` to a PNG at `path`; `fetch` runs one of its expressions as a range query."""
    panels = board["panels"]
    height = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    figure = plt.figure(figsize=(24 * COLUMN_INCHES, height * ROW_INCHES), facecolor=BACKGROUND)
    grid = figure.add_gridspec(
        height, 24, hspace=2.2, wspace=0.8, left=0.04, right=0.99, top=0.95, bottom=0.03
    )
    figure.suptitle(f"{board['title']} (x: seconds)", color=TEXT, fontsize=14, x=0.01, ha="left")
    for panel in panels:
        pos = panel["gridPos"]
        axes = figure.add_subplot(
            grid[pos["y"] : pos["y"] + pos["h"], pos["x"] : pos["x"] + pos["w"]]
        )
        if panel["type"] == "row":
            axes.axis("off")
            axes.text(0, 0.5, panel["title"], color=TEXT, fontsize=11, fontweight="bold")
            continue
        _style(axes, panel["title"])
        if panel["type"] == "stat":
            _stat(axes, panel, fetch)
        elif panel["type"] == "state-timeline":
            _state_timeline(axes, panel, fetch, start)
        else:
            _timeseries(axes, panel, fetch, start)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80, facecolor=BACKGROUND)
    plt.close(figure)

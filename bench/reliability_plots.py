"""Draws docs/reliability/*.png from bench/results/load.json (written by `make load`): latency
percentiles of each request under each load, and each service's memory through the phases."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

ROOT = Path(__file__).parents[1]
RESULTS = ROOT / "bench" / "results" / "load.json"
OUT = ROOT / "docs" / "reliability"


def latency(report: dict) -> None:  # type: ignore[type-arg]
    phases = report["phases"]
    setup = ("Aggregated", "mcp initialize", "mcp initialized", "mcp end session")
    names = sorted({n for rows in phases.values() for n in rows if n not in setup})
    fig, axes = plt.subplots(1, len(phases), figsize=(5 * len(phases), 4.5), sharey=True)
    height = 0.27
    for ax, (phase, rows) in zip(axes, phases.items(), strict=True):
        for offset, key in enumerate(("p50_ms", "p95_ms", "p99_ms")):
            ax.barh(
                [i + offset * height for i in range(len(names))],
                [rows[n][key] if n in rows else 0 for n in names],  # absent from a phase: no bar
                height=height,
                label=key.removesuffix("_ms"),
            )
        ax.set_xscale("log")
        ax.set_xlabel("milliseconds (log)")
        ax.set_title(f"{phase}: {rows['Aggregated']['rps']:.0f} req/s")
    axes[0].set_yticks([i + height for i in range(len(names))], names)
    axes[0].legend()
    fig.suptitle(
        f"Latency per request, {report['seconds_per_phase']} s per phase, {report['cores']} cores"
    )
    fig.tight_layout()
    fig.savefig(OUT / "load-latency.png", dpi=90)


def memory(report: dict) -> None:  # type: ignore[type-arg]
    stages = list(report["memory_mb"])
    fig, ax = plt.subplots(figsize=(8, 4))
    for service in report["memory_mb"][stages[0]]:
        ax.plot(
            stages, [report["memory_mb"][s][service] for s in stages], marker="o", label=service
        )
    ax.set_ylabel("resident memory (MB)")
    ax.set_title("Memory of each service through the load phases")
    ax.legend()
    fig.autofmt_xdate(rotation=15)
    fig.tight_layout()
    fig.savefig(OUT / "load-memory.png", dpi=90)


def table(report: dict) -> str:  # type: ignore[type-arg]
    """The figures as the Markdown table of docs/RELIABILITY.md."""
    lines = [
        "| Phase | Request | Requests | Errors | req/s | p50 ms | p95 ms | p99 ms |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for phase, rows in report["phases"].items():
        for name, f in rows.items():
            if name.endswith(("initialize", "initialized", "end session")):
                continue  # once per user: session set-up, not the work
            shown = f"**{name}**" if name == "Aggregated" else name
            lines.append(
                f"| {phase} | {shown} | {f['requests']} | {f['failures']} | {f['rps']:.1f} "
                f"| {f['p50_ms']:.0f} | {f['p95_ms']:.0f} | {f['p99_ms']:.0f} |"
            )
    return "\n".join(lines)


def main() -> None:
    report = json.loads(RESULTS.read_text())
    OUT.mkdir(parents=True, exist_ok=True)
    latency(report)
    memory(report)
    print(table(report))
    print(f"wrote {OUT}/load-latency.png and load-memory.png")


if __name__ == "__main__":
    main()

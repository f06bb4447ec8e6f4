"""The post-mortem's two charts, drawn with matplotlib (Agg, no display) from the run's facts.

`timechart.png`: orders per interval, ok and failed, with the incident's milestones marked (the
seed's timeChart). `logerrors.png`: failed orders and the service's error log lines per interval
(the seed's logErrors).
Orders are binned by scenario time (when their answer came).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from harness.report.facts import Facts
from harness.verdict import FAILED_OUTCOMES

TIMECHART, LOGERRORS = "timechart.png", "logerrors.png"
OK_COLOUR, FAILED_COLOUR, LOG_COLOUR = "#3b8b4c", "#c8372d", "#6b4c9a"


def bin_width(facts: Facts) -> float:
    """15 scenario seconds, widened in 15 s steps so a long run keeps at most 60 bars."""
    span = facts.orders[-1].st if facts.orders else 0.0
    return 15.0 * max(1, math.ceil(span / 60 / 15))


def binned(facts: Facts) -> tuple[list[float], list[int], list[int]]:
    """Bin starts (scenario s) and the ok and failed order counts in each."""
    width = bin_width(facts)
    starts = [o.st for o in facts.orders if o.st >= 0]
    count = int(max(starts, default=0.0) // width) + 1
    ok, failed = [0] * count, [0] * count
    for order in facts.orders:
        if order.st < 0:
            continue
        slot = int(order.st // width)
        if order.outcome in FAILED_OUTCOMES:
            failed[slot] += 1
        else:
            ok[slot] += 1
    return [i * width for i in range(count)], ok, failed


def binned_log_errors(facts: Facts, slots: int) -> list[int]:
    """The service's error log lines in the same bins as the orders (later lines widen none)."""
    width, counts = bin_width(facts), [0] * slots
    for line in facts.log_errors:
        slot = int(line.st // width)
        if 0 <= slot < slots:
            counts[slot] += 1
    return counts


def markers(facts: Facts) -> list[tuple[str, float, str]]:
    """(label, scenario s, colour) of every milestone the run reached."""
    found = [
        ("chaos start", facts.chaos, "#c8372d"),
        ("pending", facts.pending, "#e0a100"),
        ("firing", facts.firing, "#e06600"),
        ("notified", facts.notified, "#7a3fb0"),
        ("acknowledged", facts.acknowledged, "#2a62c9"),
        ("report called", facts.reports[0] if facts.reports else None, "#0f8a8a"),
        ("recovery", facts.recovered, "#3b8b4c"),
    ]
    return [(label, e.st, colour) for label, e, colour in found if e is not None]


def _mark(ax: Any, facts: Facts, top: float) -> None:
    for i, (label, at, colour) in enumerate(markers(facts)):
        ax.axvline(at, color=colour, linestyle="--", linewidth=1.2)
        ax.text(
            at,
            top * (0.97 - 0.085 * (i % 7)),
            f" {label}",
            color=colour,
            fontsize=8,
            va="top",
            ha="left",
            bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1},
        )


def _pyplot() -> Any:
    """matplotlib, loaded when a chart is drawn: every `harness` command (servers included)
    imports this package, and matplotlib costs about a second to import."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100, metadata={"Software": None})
    _pyplot().close(fig)


def draw_timechart(facts: Facts, path: Path) -> None:
    starts, ok, failed = binned(facts)
    width = bin_width(facts)
    fig, ax = _pyplot().subplots(figsize=(10, 4.5))
    ax.bar(starts, ok, width=width * 0.9, align="edge", color=OK_COLOUR, label="ok")
    ax.bar(
        starts,
        failed,
        width=width * 0.9,
        align="edge",
        bottom=ok,
        color=FAILED_COLOUR,
        label="failed",
    )
    top = max([o + f for o, f in zip(ok, failed, strict=True)] + [1]) * 1.35
    ax.set_ylim(0, top)
    _mark(ax, facts, top)
    ax.set_title(f"{facts.scenario}: orders per {width:g} s (scenario time)")
    ax.set_xlabel("scenario time (s)")
    ax.set_ylabel("orders")
    ax.legend(loc="upper right", fontsize=8)
    _save(fig, path)


def draw_logerrors(facts: Facts, path: Path) -> None:
    starts, _, failed = binned(facts)
    logged = binned_log_errors(facts, len(starts))
    width = bin_width(facts)
    fig, ax = _pyplot().subplots(figsize=(10, 3.2))
    half = width * 0.45
    ax.bar(starts, failed, width=half, align="edge", color=FAILED_COLOUR, label="failed orders")
    lines = [s + half for s in starts]
    ax.bar(lines, logged, width=half, align="edge", color=LOG_COLOUR, label="error log lines")
    if facts.chaos is not None:
        end = facts.recovered.st if facts.recovered else max(starts[-1] + width, facts.chaos.st)
        ax.axvspan(facts.chaos.st, end, color=FAILED_COLOUR, alpha=0.08, label="chaos window")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_ylim(0, max([*failed, *logged, 1]) * 1.35)
    ax.set_title(
        f"{facts.scenario}: failed orders and error log lines per {width:g} s "
        f"({facts.failed} failed orders, {len(facts.log_errors)} error lines)"
    )
    ax.set_xlabel("scenario time (s)")
    ax.set_ylabel("count")
    _save(fig, path)


def draw(facts: Facts, run_dir: Path) -> list[Path]:
    paths = [run_dir / TIMECHART, run_dir / LOGERRORS]
    draw_timechart(facts, paths[0])
    draw_logerrors(facts, paths[1])
    return paths

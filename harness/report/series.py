"""The post-mortem's chart data: orders binned by scenario time, by outcome class, with the order
latency's p50 and p95 per bin, and the service's error log lines in the same bins.

Times are scenario seconds (when an order's answer came); latencies are scenario seconds too, so a
32 s throttle reads 32 s whatever the time scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from harness.numbers import percentile
from harness.report.facts import Facts, latency

# What a diner felt, in the order the bars stack: the outcome classes of the charts and banner.
CLASSES: dict[str, tuple[str, ...]] = {
    "ok": ("ok",),
    "slow": ("slow",),
    "bad pizza": ("bad_pizza",),
    "failed": ("failed", "timed_out", "error"),
}
CLASS_OF = {outcome: name for name, outcomes in CLASSES.items() for outcome in outcomes}


@dataclass
class Series:
    """Bins of `width` scenario seconds from 0; every list has one value per bin."""

    width: float
    starts: list[float]
    counts: dict[str, list[int]]  # outcome class -> orders per bin
    p50: list[float | None]  # order latency, scenario seconds (None: no timed order)
    p95: list[float | None]
    log_errors: list[int]


def mmss(st: float) -> str:
    """Scenario time as on the charts' axis: `210.4` -> `3:30`, `-5` -> `-0:05`."""
    sign, whole = ("-" if st < 0 else ""), round(abs(st))
    return f"{sign}{whole // 60}:{whole % 60:02d}"


def bin_width(facts: Facts) -> float:
    """15 scenario seconds, widened in 15 s steps so a long run keeps at most 60 bars."""
    span = facts.orders[-1].st if facts.orders else 0.0
    return 15.0 * max(1, math.ceil(span / 60 / 15))


def series(facts: Facts) -> Series:
    width = bin_width(facts)
    placed = [o for o in facts.orders if o.st >= 0]
    slots = int(max((o.st for o in placed), default=0.0) // width) + 1
    counts = {name: [0] * slots for name in CLASSES}
    waits: list[list[float]] = [[] for _ in range(slots)]
    for order in placed:
        slot = int(order.st // width)
        counts[CLASS_OF.get(order.outcome, "failed")][slot] += 1
        took = latency(order, facts.time_scale)
        if took is not None:
            waits[slot].append(took)
    logged = [0] * slots
    for line in facts.log_errors:
        slot = int(line.st // width)
        if 0 <= slot < slots:
            logged[slot] += 1
    return Series(
        width=width,
        starts=[i * width for i in range(slots)],
        counts=counts,
        p50=[percentile(w, 50) for w in waits],
        p95=[percentile(w, 95) for w in waits],
        log_errors=logged,
    )


def failed_per_bin(data: Series) -> list[int]:
    """Orders that did not give the diner a good pizza: bad pizza and failed."""
    return [b + f for b, f in zip(data.counts["bad pizza"], data.counts["failed"], strict=True)]

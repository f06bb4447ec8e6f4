"""Per-step figures of a ramp, read from the diners' events file: orders per second, p95 order
latency and error ratio, and whether the step held the expectations. Pure but for reading files.

The traffic process writes a step mark `{"kind": "step", "index", "diners", "t"}` when the ramp
moves on, and one line per order attempt with its wall-clock start and end. A step's window runs
from its mark plus a warm-up (new diners log in, queues settle) to the next mark; an attempt
belongs to the step in whose window it ended.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.durations import format_duration
from harness.load.config import LoadExpect
from harness.load.usage import StepUsage
from harness.numbers import percentile
from harness.traffic.events import OUTCOMES, EventsError, OrderEvent

GOOD = ("ok", "slow")
"""Outcomes where a verified pizza came back (slow ones too: the p95 judges their latency)."""


@dataclass(frozen=True)
class Mark:
    index: int
    diners: int
    t: float


@dataclass
class StepResult:
    index: int
    diners: int
    started: float  # wall clock of the step mark
    seconds: float  # the measured window (after the warm-up)
    orders: int  # attempts that ended in the window
    good: int
    good_per_s: float
    p95_s: float | None
    error_ratio: float
    outcomes: dict[str, int] = field(default_factory=dict)
    broken: str = ""  # why the step broke the expectations; "" when it held
    usage: StepUsage | None = None  # what each part cost the machine in the window
    begin: float = 0.0  # wall clock where the measured window began

    @property
    def held(self) -> bool:
        return not self.broken

    def to_json(self) -> dict[str, Any]:
        data = asdict(self) | {"held": self.held}
        data["usage"] = self.usage.to_json() if self.usage else None
        return data


class EventsReader:
    """Reads the complete lines of an events file as they are written (orders and step marks)."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset = path, 0
        self.orders: list[OrderEvent] = []
        self.marks: list[Mark] = []

    def poll(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except FileNotFoundError:
            return
        end = chunk.rfind(b"\n")
        if end < 0:
            return
        for line in chunk[: end + 1].splitlines():
            if line.strip():
                self._add(line)
        self.offset += end + 1

    def _add(self, line: bytes) -> None:
        try:
            data = json.loads(line)
            if data.get("kind") == "order":
                self.orders.append(OrderEvent.model_validate(data))
            elif data.get("kind") == "step":
                self.marks.append(Mark(int(data["index"]), int(data["diners"]), float(data["t"])))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise EventsError(
                f"{self.path}: not an event line ({str(exc).splitlines()[0]})",
                fix="only the traffic process may write its events file",
            ) from None


def warmup_s(step_s: float, spawn_s: float = 0.0) -> float:
    """The start of each step that is not measured: a quarter of it, at most 2 s, or while the
    step's new diners start (log in or register, first order) and 1 s more, at most half of it:
    a step is measured once its diners think and order, not while they arrive."""
    return min(step_s / 2, max(min(2.0, step_s / 4), spawn_s + 1.0 if spawn_s else 0.0))


def p95(values: list[float]) -> float | None:
    """Nearest-rank 95th percentile (None of nothing)."""
    return percentile(values, 95)


def measure_steps(
    orders: list[OrderEvent],
    marks: list[Mark],
    step_s: float,
    expect: LoadExpect,
    *,
    until: float,
    spawn_s: float = 0.0,
) -> list[StepResult]:
    """Every step whose window ended by `until` (wall clock), judged against `expect`."""
    results: list[StepResult] = []
    ordered = sorted(marks, key=lambda m: m.index)
    for i, mark in enumerate(ordered):
        end = ordered[i + 1].t if i + 1 < len(ordered) else mark.t + step_s
        if end > until:
            break
        begin = min(mark.t + warmup_s(step_s, spawn_s), end)
        results.append(judge(mark, begin, end, orders, expect))
    return results


def judge(
    mark: Mark, begin: float, end: float, orders: list[OrderEvent], expect: LoadExpect
) -> StepResult:
    inside = [o for o in orders if begin <= o.end < end]
    seconds = max(end - begin, 1e-9)
    counts = {k: 0 for k in OUTCOMES}
    for order in inside:
        counts[order.outcome] += 1
    good = sum(counts[k] for k in GOOD)
    latency = p95([o.end - o.start for o in inside])
    ratio = (len(inside) - good) / len(inside) if inside else 0.0
    result = StepResult(
        mark.index, mark.diners, mark.t, seconds, len(inside), good, good / seconds,
        latency, ratio, counts,
    )  # fmt: skip
    result.broken = why_broken(result, expect)
    result.begin = begin
    return result


def why_broken(step: StepResult, expect: LoadExpect) -> str:
    """The expectations the step broke, in words; "" when it held."""
    if step.orders == 0:
        return f"no order ended within the step's {step.seconds:.1f} s"
    reasons = []
    if step.p95_s is not None and step.p95_s > expect.p95_latency:
        reasons.append(f"p95 {ms(step.p95_s)} > {format_duration(expect.p95_latency)}")
    if step.error_ratio > expect.max_error_ratio:
        reasons.append(f"errors {step.error_ratio:.1%} > {expect.max_error_ratio:.1%}")
    return ", ".join(reasons)


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:,.0f} ms"

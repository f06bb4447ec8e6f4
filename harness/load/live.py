"""What `harness load` shows and records while a ramp runs: every few seconds a line with the
step's diners, ok orders/s, p95 and errors so far; and what each part of the run (diners,
service, factory, the machine) cost in each step's measured window (usage.py)."""

from __future__ import annotations

import bisect
from collections.abc import Callable

from harness.load.measure import GOOD, EventsReader, StepResult, ms, p95
from harness.load.usage import Reading, between, read
from harness.traffic.steps import StepPlan

READ_EVERY_S = 1.0
LINE_EVERY_S = 5.0


class Live:
    """Readings of the run's processes once a second; a progress line every 5 s."""

    def __init__(
        self, name: str, plan: StepPlan, roots: dict[str, int], progress: Callable[[str], None]
    ) -> None:
        self.name, self.plan, self.roots, self.progress = name, plan, roots, progress
        self.readings: list[Reading] = []
        self._next_read = 0.0
        self._next_line: float | None = None

    def tick(self, reader: EventsReader, now: float) -> None:
        if now >= self._next_read:
            self.readings.append(read(self.roots, now))
            self._next_read = now + READ_EVERY_S
        if not reader.marks:
            return
        if self._next_line is None:
            self._next_line = reader.marks[0].t + LINE_EVERY_S
        last = reader.marks[-1]
        if last.index == self.plan.count - 1 and now > last.t + self.plan.step_s:
            return  # the ramp is over: the diners are stopping
        if now >= self._next_line:
            self._next_line = now + LINE_EVERY_S
            self.progress(self.line(reader, now))

    def line(self, reader: EventsReader, now: float) -> str:
        """The last LINE_EVERY_S seconds of the step under way."""
        mark = reader.marks[-1]
        since = max(mark.t, now - LINE_EVERY_S)
        recent = [o for o in reader.orders[-20_000:] if o.end >= since]
        good = sum(o.outcome in GOOD for o in recent)
        bad = len(recent) - good
        rate = good / max(now - since, 1e-9)
        usage = ""
        if len(self.readings) >= 2:
            last = between(self.readings[-2], self.readings[-1])
            usage = (
                f"; CPU diners {last.cpu_percent.get('diners', 0):.0f}%, service "
                f"{last.cpu_percent.get('service', 0):.0f}%, factory "
                f"{last.cpu_percent.get('factory', 0):.0f}% of a core, machine "
                f"{last.machine_percent:.0f}%; diners {last.rss_mb.get('diners', 0):,.0f} MB"
            )
        return (
            f"load {self.name}:   step {mark.index + 1}/{self.plan.count} {mark.diners:>5} "
            f"diners, {now - mark.t:4.0f} s in: {rate:7.1f} ok orders/s, p95 "
            f"{ms(p95([o.end - o.start for o in recent]))}, errors {bad}{usage}"
        )

    def attach(self, steps: list[StepResult]) -> None:
        """Each step's usage over its measured window (None when no readings fall inside)."""
        times = [r.t for r in self.readings]
        for step in steps:
            first = bisect.bisect_left(times, step.begin)
            last = bisect.bisect_right(times, step.begin + step.seconds) - 1
            if 0 <= first < last:
                step.usage = between(self.readings[first], self.readings[last])


def step_line(name: str, plan: StepPlan, step: StepResult) -> str:
    verdict = "held" if step.held else f"BROKE: {step.broken}"
    return (
        f"load {name}: step {step.index + 1}/{plan.count} {step.diners:>4} diners: "
        f"{step.good_per_s:7.1f} ok orders/s, p95 {ms(step.p95_s)}, "
        f"errors {step.error_ratio:.1%} ({step.orders} orders){usage_text(step)}: {verdict}"
    )


def usage_text(step: StepResult) -> str:
    u = step.usage
    if u is None:
        return ""
    return (
        f", diners' CPU {u.cpu_percent.get('diners', 0):.0f}% of a core, machine "
        f"{u.machine_percent:.0f}%, diners {u.rss_mb.get('diners', 0):,.0f} MB"
    )

"""What a run knows at any moment: its phase, the milestone times its followers found, and the
counters the rollback settles. Followers write it; the live line, the game day's dashboard and
the rollback read it."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from harness.alerting.diners import DinerSeries
from harness.scenario import Scenario
from harness.timeline import Event, Phase, Timeline
from harness.traffic.events import OUTCOMES


@dataclass
class RunState:
    scenario: Scenario
    timeline: Timeline
    phase: str = ""
    started_st: float | None = None  # the factory's chaos started
    ended_st: float | None = None  # the factory says it was resolved
    recovered_st: float | None = None  # a probe order made a verified pizza
    outcomes: Counter[str] = field(default_factory=lambda: Counter({o: 0 for o in OUTCOMES}))
    diners: DinerSeries = field(default_factory=lambda: DinerSeries(OUTCOMES))
    probes: int = 0  # the runner's own orders, left out of the traffic accounting
    orders_before: int | None = 0  # the service's count before the run (None: unknown)
    probe_item: dict[str, Any] | None = None  # from the team's menu (the canary's)
    stop_reason: str | None = None  # people ended the run (a game day's abort)

    def st(self) -> float:
        return self.timeline.st(time.time())

    def add(self, event: Event, st: float | None = None) -> None:
        """Record `event`, at scenario second `st` if given (else now)."""
        t0, scale = self.timeline.t0 or 0.0, self.scenario.time_scale
        self.timeline.add(event, at=None if st is None else t0 + st / scale)

    def set_phase(self, name: str) -> None:
        if name != self.phase:
            self.phase = name
            self.add(Phase(name=name))

    def done(self) -> bool:
        st = self.st()
        if self.stop_reason is not None or st >= self.scenario.max_duration:
            return True
        return self.recovered_st is not None and st >= self.recovered_st + self.scenario.cooldown

    @property
    def chaos(self) -> str:
        if self.ended_st is not None:
            return "ended"
        return "active" if self.started_st is not None else "armed"

    @property
    def failed(self) -> int:
        return sum(n for outcome, n in self.outcomes.items() if outcome not in ("ok", "slow"))

"""The run's live line on stderr, once a wall second: scenario time, phase, orders, alert state
and chaos (a game day shows its dashboard instead)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from harness.durations import format_duration
from harness.runner.state import RunState


class LiveLine:
    def __init__(self, state: RunState, alert_state: Callable[[], str]) -> None:
        self.state, self.alert_state = state, alert_state
        self.last = 0.0

    def show(self, st: float) -> None:
        now = time.time()
        if now - self.last < 1.0:
            return
        self.last = now
        state = self.state
        wall = now - (state.timeline.t0 or now)
        ok = state.outcomes["ok"] + state.outcomes["slow"]
        print(
            f"  [{format_duration(st):>7} | wall {wall:5.1f}s] {state.phase:<9} "
            f"orders ok {ok:>4} failed {state.failed:>4}  "
            f"alert {self.alert_state():<10} chaos {state.chaos}",
            file=sys.stderr,
            flush=True,
        )

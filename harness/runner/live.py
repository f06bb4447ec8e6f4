"""The run's live line on stderr, once a wall second: scenario time, phase, orders ok, slow and
failed, alert state and chaos (a game day shows its dashboard instead). On a terminal the line is
rewritten in place; elsewhere (a CI log, a pipe, a suite's run.log, or HARNESS_LIVE=plain) it is
one plain line a second."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TextIO

from harness.durations import format_duration
from harness.runner.state import RunState


class StatusWriter:
    """Writes status text in place on a terminal, as plain lines otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.open = False  # a line is on screen without its newline

    def _out(self) -> TextIO:
        return self.stream or sys.stderr

    def in_place(self) -> bool:
        return os.environ.get("HARNESS_LIVE") != "plain" and self._out().isatty()

    def write(self, text: str) -> None:
        out = self._out()
        if self.in_place():
            out.write(f"\r{text}\x1b[K")  # back to the line start, clear what is left
            self.open = True
        else:
            out.write(text + "\n")
        out.flush()

    def end(self) -> None:
        """Close the line in place, so what is printed next starts on a line of its own."""
        if self.open:
            self._out().write("\n")
            self._out().flush()
            self.open = False


STATUS = StatusWriter()


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
        STATUS.write(
            f"  [{format_duration(st):>7} | wall {wall:5.1f}s] {state.phase:<9} "
            f"orders ok {state.outcomes['ok']:>4} slow {state.outcomes['slow']:>3} "
            f"failed {state.failed:>4}  alert {self.alert_state():<10} chaos {state.chaos}"
        )

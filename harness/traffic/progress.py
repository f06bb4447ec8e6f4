"""The supervisor's live line: every few seconds, the order attempts so far by outcome, read
from the events file as it grows. This module does not import locust."""

from __future__ import annotations

import sys
from pathlib import Path

from harness.traffic.events import OUTCOMES, EventsError, tail_events

PROGRESS_EVERY_S = 5.0


class Progress:
    """A line every PROGRESS_EVERY_S seconds: attempts so far by outcome (read from the file)."""

    def __init__(self, path: Path, offset: int) -> None:
        self.path, self.offset = path, offset
        self.counts = dict.fromkeys(OUTCOMES, 0)
        self.next_at = PROGRESS_EVERY_S

    def maybe_print(self, elapsed_s: float) -> None:
        if elapsed_s < self.next_at:
            return
        self.next_at += PROGRESS_EVERY_S
        try:
            events, self.offset = tail_events(self.path, self.offset)
        except EventsError:
            return  # the final check reports it
        for event in events:
            self.counts[event.outcome] += 1
        shown = ", ".join(f"{k} {n}" for k, n in self.counts.items() if n) or "none yet"
        print(f"traffic: {elapsed_s:5.1f} s: {sum(self.counts.values())} orders ({shown})")
        sys.stdout.flush()

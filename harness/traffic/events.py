"""The traffic process's record of order attempts: one JSON line per attempt in `events_path`.

    {"kind": "order", "diner": "ann.lee.0@example.com", "start": 1765432100.123,
     "end": 1765432100.456, "outcome": "failed", "status": 500,
     "report_url": "http://127.0.0.1:8090/api/support/KEY/report/CODE",
     "detail": "HTTP 500: Failed to fulfill order at factory"}

`start` is Locust's per-request start time (epoch seconds) and `end` is start + response time, so
the edges of an incident are ms-precise (locust-pitfalls 12). The traffic process appends and
flushes each line as the attempt ends; the runner reads the file live with `tail_events`, which
only ever returns complete lines. This module does not import locust.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from harness.errors import HarnessError

Outcome = Literal["ok", "failed", "bad_pizza", "slow", "timed_out", "error"]
OUTCOMES: tuple[str, ...] = get_args(Outcome)
"""Every outcome of an order attempt, each attempt having exactly one:

- ok: 200 with a pizza JWT that verifies against the factory's JWKS, within slow_after_s
- slow: as ok, but the answer took longer than slow_after_s
- failed: the service answered with a status other than 2xx (the seed incident's 500s)
- bad_pizza: 200, but the JWT is missing or does not verify
- timed_out: the diner gave up after order_timeout_s without an answer
- error: no usable answer (connection refused or reset, body not JSON, stopped in flight, ...)
"""


class OrderEvent(BaseModel):
    """One order attempt and its outcome."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    kind: Literal["order"] = "order"
    diner: str
    start: float
    end: float
    outcome: Outcome
    status: int | None = None
    report_url: str | None = None
    detail: str = ""

    @property
    def answered(self) -> bool:
        """Whether the service sent an HTTP status (the attempts its own counters see)."""
        return self.status is not None

    def line(self) -> str:
        return self.model_dump_json() + "\n"


class EventsError(HarnessError):
    """The events file holds a line that is not an order event (it was not written by us)."""


def tail_events(path: Path, offset: int = 0) -> tuple[list[OrderEvent], int]:
    """The order events in the complete lines of `path` from byte `offset` on, and the offset
    to pass next time.

    A last line without its newline is being written: it is left for the next call. A missing
    file reads as empty (the traffic process has not started yet). Lines of another `kind` are
    skipped; a line that is not JSON, or an order line that is malformed, raises EventsError.
    """
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            chunk = handle.read()
    except FileNotFoundError:
        return [], offset
    end = chunk.rfind(b"\n")
    if end < 0:
        return [], offset
    events: list[OrderEvent] = []
    at = offset
    for raw in chunk[: end + 1].splitlines(keepends=True):
        line = raw.strip()
        if line:
            event = _parse(path, at, line)
            if event is not None:
                events.append(event)
        at += len(raw)
    return events, offset + end + 1


def _parse(path: Path, at: int, line: bytes) -> OrderEvent | None:
    try:
        data = json.loads(line)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        if data.get("kind") != "order":
            return None
        return OrderEvent.model_validate(data)
    except (ValueError, ValidationError) as exc:
        raise EventsError(
            f"{path}: byte {at}: not an order event ({str(exc).splitlines()[0]})",
            fix="only the traffic process may write its events file",
        ) from None


def read_events(path: Path, offset: int = 0) -> list[OrderEvent]:
    """Every complete order event from `offset` on (a finished run has no partial line)."""
    return tail_events(path, offset)[0]


def count_outcomes(events: list[OrderEvent]) -> dict[str, int]:
    """Attempts per outcome, every outcome present (0 when none)."""
    counts: Counter[str] = Counter(str(event.outcome) for event in events)
    return {outcome: counts.get(outcome, 0) for outcome in OUTCOMES}

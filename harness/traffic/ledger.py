"""Accounting of order attempts: every attempt is counted and written exactly once.

The `Ledger` lives in the traffic process: a diner reserves an attempt from the order budget just
before it sends POST /api/order and records the attempt's event when it ends, whatever happened
(answer, timeout, connection error, killed in flight). `accounting_problems` is the one check of a
finished run, done by the traffic process and again by its supervisor against the events file:

    attempts == sum(outcomes) == order lines in the events file (and their outcomes agree)
    Locust's order requests == attempts - attempts Locust never saw (stopped in flight)
    Locust's order failures == attempts that made no pizza - attempts Locust never saw
    with workers (tally.py): each worker's orders received == sent, all summed == attempts

This module does not import locust.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from harness.traffic.events import OUTCOMES, OrderEvent, count_outcomes
from harness.traffic.tally import worker_problems


class Ledger:
    """The traffic process's count of order attempts, and the writer of its events file."""

    def __init__(self, events_path: Path, budget: int) -> None:
        self.path = events_path
        self.budget = budget
        self.reserved = 0
        self.attempts = 0
        self.outcomes = {outcome: 0 for outcome in OUTCOMES}
        self.unseen_by_locust = 0
        self.lines_written = 0
        self.write_errors: list[str] = []
        events_path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(events_path, "a", encoding="utf-8")  # noqa: SIM115 (held for the run)

    @property
    def in_flight(self) -> int:
        return self.reserved - self.attempts

    @property
    def exhausted(self) -> bool:
        return self.reserved >= self.budget

    def reserve(self) -> bool:
        """Take one attempt from the budget; False once the run has made all it may."""
        if self.exhausted:
            return False
        self.reserved += 1
        return True

    def record(self, event: OrderEvent, *, seen_by_locust: bool) -> None:
        """Count one finished attempt and append its line (flushed: the runner tails the file).

        Never raises: a line that cannot be written is counted in `write_errors`, which the
        accounting check reports.
        """
        self.attempts += 1
        self.outcomes[event.outcome] += 1
        if not seen_by_locust:
            self.unseen_by_locust += 1
        try:
            self._file.write(event.line())  # one write per line: readers never see a torn line
            self._file.flush()
            self.lines_written += 1
        except (OSError, ValueError) as exc:
            if len(self.write_errors) < 10:
                self.write_errors.append(f"{type(exc).__name__}: {exc}")

    def take(self, event: OrderEvent, *, seen_by_locust: bool) -> None:
        """Count and write an attempt a worker reserved and made (the master of several
        processes records its workers' attempts here; see tally.py)."""
        self.reserved += 1
        self.record(event, seen_by_locust=seen_by_locust)

    def note(self, kind: str, **fields: Any) -> None:
        """Append a line of another `kind` (a ramp's step marks); readers of orders skip it."""
        try:
            self._file.write(json.dumps({"kind": kind, **fields}) + "\n")
            self._file.flush()
        except (OSError, ValueError) as exc:
            if len(self.write_errors) < 10:
                self.write_errors.append(f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        try:
            self._file.close()
        except OSError as exc:
            self.write_errors.append(f"{type(exc).__name__}: {exc}")

    def summary(self, locust: dict[str, int], **extra: Any) -> dict[str, Any]:
        """The traffic process's summary; `locust` holds Locust's own counts (see locust_counts)."""
        summary: dict[str, Any] = {
            "attempts": self.attempts,
            "outcomes": dict(self.outcomes),
            "locust": locust,
            "unseen_by_locust": self.unseen_by_locust,
            "lines_written": self.lines_written,
            "max_orders": self.budget,
            "budget_exhausted": self.exhausted,
            "in_flight_at_end": self.in_flight,
            **extra,
        }
        if self.write_errors:
            summary["write_errors"] = self.write_errors
        problems = accounting_problems(summary)
        if problems:
            summary["accounting_error"] = "; ".join(problems)
        return summary


def accounting_problems(
    summary: dict[str, Any], events: list[OrderEvent] | None = None
) -> list[str]:
    """Every way the counts in `summary` (and the `events` read back, if given) disagree."""
    problems: list[str] = []
    attempts = summary.get("attempts")
    outcomes = summary.get("outcomes")
    if not isinstance(attempts, int) or not isinstance(outcomes, dict):
        return ["the summary has no attempts or outcomes"]
    total = sum(int(n) for n in outcomes.values())
    if total != attempts:
        problems.append(f"attempts {attempts} != sum of outcomes {total}")
    written = summary.get("lines_written", attempts)
    if written != attempts:
        problems.append(f"attempts {attempts} != event lines written {written}")
    if summary.get("diner_crashes"):
        problems.append(
            f"diners raised {summary['diner_crashes']} unexpected exceptions (see the Locust log)"
        )
    if summary.get("in_flight_at_end"):
        problems.append(f"{summary['in_flight_at_end']} attempts were never recorded")
    if events is not None:
        if len(events) != attempts:
            problems.append(f"attempts {attempts} != order lines in the events file {len(events)}")
        read = count_outcomes(events)
        if read != {k: int(outcomes.get(k, 0)) for k in OUTCOMES}:
            problems.append(f"outcomes {outcomes} != outcomes in the events file {read}")
    workers = summary.get("workers")
    if isinstance(workers, list):
        problems += worker_problems(workers, attempts)
    locust = summary.get("locust")
    unseen = int(summary.get("unseen_by_locust", 0))
    if isinstance(locust, dict) and "order_requests" in locust:
        if locust["order_requests"] != attempts - unseen:
            problems.append(
                f"Locust counted {locust['order_requests']} order requests, "
                f"expected {attempts - unseen} (attempts {attempts} - {unseen} unseen)"
            )
        no_pizza = attempts - int(outcomes.get("ok", 0)) - int(outcomes.get("slow", 0))
        if locust.get("order_failures") != no_pizza - unseen:
            problems.append(
                f"Locust counted {locust.get('order_failures')} order failures, "
                f"expected {no_pizza - unseen}"
            )
    return problems


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write `data` so a reader sees the old file or the whole new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)

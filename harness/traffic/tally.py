"""Exact order accounting across Locust workers: what a worker sends, what the master counts.

With `processes > 1` (or `--master` / `--worker`), diners run in Locust worker processes, maybe on
other machines, and only the master writes the events file. Every finished attempt travels to the
master over Locust's own channel as a custom message, numbered per worker:

    worker -> master  harness_hello  {index, digest, share, pid, host}     at its test start
    worker -> master  harness_order  {seq, seen, event}                    one per finished attempt
    worker -> master  harness_done   {index, reserved, attempts, sent, send_errors, outcomes, ...}
    master -> worker  harness_stop   {reason}                              stop your diners now

A worker sends `harness_done` once, after its diners have stopped (in-flight attempts finished or
recorded as killed) and after flushing its Locust stats, so on the ordered channel the master has
every order and every stat of that worker when the done arrives. `WorkerTally` (master side)
checks per worker that the orders received are exactly seq 1..sent (nothing lost, nothing counted
twice) and that the worker recorded everything it reserved; `worker_problems` turns the summary's
per-worker rows into accounting errors. This module does not import locust.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from harness.traffic.events import OUTCOMES, OrderEvent

HELLO = "harness_hello"
ORDER = "harness_order"
DONE = "harness_done"
STOP = "harness_stop"
ROLE_ENV = "HARNESS_TRAFFIC_ROLE"
"""Which Locust process this is: `local` (one process), `master` or `worker`."""


def budget_share(budget: int, workers: int, index: int) -> int:
    """Worker `index`'s part of the order budget: the parts of workers 0..workers-1 add up to
    `budget` exactly; a worker beyond the expected count gets none."""
    if workers < 1 or not 0 <= index < workers:
        return 0
    return budget // workers + (1 if index < budget % workers else 0)


def diner_number(local: int, workers: int, index: int) -> int:
    """A diner's run-wide number: worker i's k-th diner is k * workers + i, so numbers (and the
    seeds and emails made from them) never repeat across workers; one process keeps 0, 1, 2..."""
    return local * max(workers, 1) + max(index, 0)


def config_digest(config_json: str) -> str:
    """A short fingerprint of the config: master and workers must run the same file."""
    return hashlib.sha256(config_json.encode()).hexdigest()[:16]


class WorkerLedger:
    """A worker's count of its order attempts; every finished attempt is sent to the master.

    The same interface as `Ledger` for the diners (`reserve`, `record`, `exhausted`, `close`),
    but it writes no file: `send(kind, data)` is the Locust runner's `send_message`.
    """

    def __init__(self) -> None:
        self.send: Callable[[str, dict[str, Any]], None] | None = None
        self.share = 0
        self.reserved = 0
        self.attempts = 0
        self.sent = 0
        self.unseen_by_locust = 0
        self.outcomes = dict.fromkeys(OUTCOMES, 0)
        self.send_errors: list[str] = []

    @property
    def exhausted(self) -> bool:
        return self.reserved >= self.share

    def reserve(self) -> bool:
        if self.exhausted:
            return False
        self.reserved += 1
        return True

    def record(self, event: OrderEvent, *, seen_by_locust: bool) -> None:
        """Count the attempt and send it (never raises: a failed send is counted)."""
        self.attempts += 1
        self.outcomes[event.outcome] += 1
        if not seen_by_locust:
            self.unseen_by_locust += 1
        data = {"seq": self.attempts, "seen": seen_by_locust, "event": event.model_dump()}
        try:
            assert self.send is not None, "the worker is not connected to its master"
            self.send(ORDER, data)
            self.sent += 1
        except Exception as exc:
            if len(self.send_errors) < 10:
                self.send_errors.append(f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        """Nothing to close: the master owns the file."""

    def final_count(self, index: int) -> dict[str, Any]:
        return {
            "index": index,
            "share": self.share,
            "reserved": self.reserved,
            "attempts": self.attempts,
            "sent": self.sent,
            "send_errors": self.send_errors,
            "unseen_by_locust": self.unseen_by_locust,
            "outcomes": dict(self.outcomes),
        }


class WorkerTally:
    """The master's record of what each worker said and sent, keyed by Locust client id."""

    def __init__(self, digest: str) -> None:
        self.digest = digest
        self.rows: dict[str, dict[str, Any]] = {}
        self._last: dict[str, int] = {}
        self._missing: dict[str, set[int]] = {}

    def _row(self, worker: str) -> dict[str, Any]:
        if worker not in self.rows:
            self.rows[worker] = {
                "id": worker,
                "index": None,
                "received": 0,
                "duplicates": 0,
                "malformed": 0,
                "hello": None,
                "done": None,
            }
            self._last[worker], self._missing[worker] = 0, set()
        return self.rows[worker]

    def hello(self, worker: str, data: dict[str, Any]) -> None:
        row = self._row(worker)
        row["hello"] = data
        row["index"] = data.get("index", row["index"])

    def order(self, worker: str, data: Any) -> tuple[OrderEvent, bool] | None:
        """The event to record, or None when it must not be counted (a duplicate, malformed)."""
        row = self._row(worker)
        try:
            seq = int(data["seq"])
            event = OrderEvent.model_validate(data["event"])
            seen = bool(data["seen"])
        except (KeyError, TypeError, ValueError, ValidationError):
            row["malformed"] += 1
            return None
        last, missing = self._last[worker], self._missing[worker]
        if seq > last:
            missing.update(range(last + 1, seq))
            self._last[worker] = seq
        elif seq in missing:
            missing.discard(seq)  # late, but seen once
        else:
            row["duplicates"] += 1
            return None
        row["received"] += 1
        return event, seen

    def done(self, worker: str, data: dict[str, Any]) -> None:
        row = self._row(worker)
        if row["done"] is None:
            row["done"] = data
            row["index"] = data.get("index", row["index"])

    def is_done(self, worker: str) -> bool:
        return worker in self.rows and self.rows[worker]["done"] is not None

    def summary(self) -> list[dict[str, Any]]:
        """One row per worker, ordered by index: what it said and what the master received."""
        rows = []
        for worker, row in self.rows.items():
            done = row["done"] or {}
            hello = row["hello"] or {}
            rows.append(
                {
                    "id": worker,
                    "index": row["index"],
                    "pid": hello.get("pid"),
                    "host": hello.get("host"),
                    "digest_matches": hello.get("digest", self.digest) == self.digest,
                    "received": row["received"],
                    "never_received": sorted(self._missing[worker])[:20],
                    "duplicates": row["duplicates"],
                    "malformed": row["malformed"],
                    "started": row["hello"] is not None,
                    "done": row["done"] is not None,
                    "share": done.get("share", hello.get("share")),
                    "reserved": done.get("reserved"),
                    "attempts": done.get("attempts"),
                    "sent": done.get("sent"),
                    "send_errors": done.get("send_errors", []),
                    "unseen_by_locust": done.get("unseen_by_locust"),
                    "outcomes": done.get("outcomes"),
                }
            )
        return sorted(rows, key=lambda r: (r["index"] is None, r["index"] or 0, r["id"]))


def worker_problems(rows: list[dict[str, Any]], attempts: int) -> list[str]:
    """Every way the per-worker counts in a master's summary show a lost or doubled attempt."""
    problems: list[str] = []
    for row in rows:
        where = f"pid {row['pid']}" if row.get("pid") else str(row.get("id"))
        where += f" on {row['host']}" if row.get("host") else ""
        name = f"worker {row.get('index')} ({where})"
        received = int(row.get("received") or 0)
        if not row.get("digest_matches", True):
            problems.append(f"{name} runs another traffic config than the master")
        if row.get("malformed"):
            problems.append(f"{name} sent {row['malformed']} malformed order messages")
        if not row.get("done"):
            if row.get("started") or received:
                problems.append(
                    f"{name} never sent its final count ({received} orders received): "
                    "it died or was cut off, attempts in flight are lost"
                )
            continue
        sent, reserved = row.get("sent"), row.get("reserved")
        if sent != received:
            problems.append(f"{name} sent {sent} orders, the master received {received}")
        if reserved != row.get("attempts"):
            problems.append(f"{name} reserved {reserved} attempts but recorded {row['attempts']}")
        if row.get("send_errors"):
            problems.append(f"{name} could not send orders: {'; '.join(row['send_errors'])}")
    total = sum(int(row.get("received") or 0) for row in rows)
    if rows and total != attempts:
        problems.append(f"the workers' orders add up to {total}, the master counted {attempts}")
    return problems

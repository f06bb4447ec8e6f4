"""The accounting of traffic over several processes, without locust: a worker's ledger and the
messages it sends, the master's tally of them, and the checks that catch a lost or doubled order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.errors import ConfigError
from harness.traffic.cluster import Cluster
from harness.traffic.config import TrafficConfig
from harness.traffic.events import OrderEvent, read_events
from harness.traffic.ledger import Ledger, accounting_problems
from harness.traffic.tally import (
    DONE,
    ORDER,
    WorkerLedger,
    WorkerTally,
    budget_share,
    config_digest,
    diner_number,
    worker_problems,
)


def event(n: int, outcome: str = "ok") -> OrderEvent:
    return OrderEvent(diner=f"d{n}@example.com", start=100.0 + n, end=100.5 + n, outcome=outcome)


class Wire:
    """What one worker sent, in order, as Locust's channel would carry it."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []

    def send(self, kind: str, data: dict[str, Any]) -> None:
        self.messages.append((kind, data))


def worker(share: int, attempts: int, wire: Wire, outcome: str = "ok") -> WorkerLedger:
    ledger = WorkerLedger()
    ledger.send, ledger.share = wire.send, share
    for n in range(attempts):
        assert ledger.reserve()
        ledger.record(event(n, outcome), seen_by_locust=True)
    return ledger


def deliver(tally: WorkerTally, master: Ledger, worker_id: str, messages: list[Any]) -> None:
    """The master's message handlers, without locust."""
    for kind, data in messages:
        if kind == ORDER:
            taken = tally.order(worker_id, data)
            if taken is not None:
                master.take(taken[0], seen_by_locust=taken[1])
        elif kind == DONE:
            tally.done(worker_id, data)


@pytest.mark.parametrize("budget", [1, 7, 9, 100, 2401])
@pytest.mark.parametrize("workers", [1, 2, 3, 8])
def test_budget_shares_add_up_exactly(budget: int, workers: int) -> None:
    shares = [budget_share(budget, workers, i) for i in range(workers)]
    assert sum(shares) == budget and max(shares) - min(shares) <= 1
    assert budget_share(budget, workers, workers) == 0  # an unexpected extra worker


def test_diner_numbers_never_repeat_across_workers() -> None:
    numbers = [diner_number(k, 3, i) for i in range(3) for k in range(50)]
    assert len(set(numbers)) == len(numbers) == 150
    assert [diner_number(k, 1, 0) for k in range(4)] == [0, 1, 2, 3]  # one process as before


def test_a_worker_ledger_sends_each_attempt_numbered_and_stops_at_its_share() -> None:
    wire = Wire()
    ledger = worker(3, 3, wire, outcome="failed")
    assert not ledger.reserve() and ledger.exhausted
    assert [data["seq"] for _, data in wire.messages] == [1, 2, 3]
    assert all(kind == ORDER and data["seen"] for kind, data in wire.messages)
    assert OrderEvent.model_validate(wire.messages[0][1]["event"]) == event(0, "failed")
    final = ledger.final_count(index=1)
    assert final["attempts"] == final["sent"] == final["reserved"] == 3
    assert final["outcomes"]["failed"] == 3 and final["index"] == 1


def test_a_send_that_fails_is_counted_not_lost_silently() -> None:
    ledger = WorkerLedger()
    ledger.share = 2

    def broken(kind: str, data: dict[str, Any]) -> None:
        raise OSError("master gone")

    ledger.send = broken
    assert ledger.reserve()
    ledger.record(event(0), seen_by_locust=True)
    assert ledger.attempts == 1 and ledger.sent == 0
    assert ledger.send_errors == ["OSError: master gone"]


def run_two_workers(tmp_path: Path, drop: int | None = None, duplicate: int | None = None) -> Any:
    """Two workers' messages delivered to a master ledger; optionally one order dropped or
    sent twice. Returns the master summary and the events file read back."""
    master = Ledger(tmp_path / "events.jsonl", budget=10)
    tally = WorkerTally(config_digest("{}"))
    for index, (worker_id, count) in enumerate((("w-a", 4), ("w-b", 3))):
        wire = Wire()
        tally.hello(worker_id, {"index": index, "digest": config_digest("{}"), "pid": 10 + index})
        ledger = worker(5, count, wire)
        wire.send(DONE, ledger.final_count(index))
        messages = list(wire.messages)
        if index == 0 and drop is not None:
            del messages[drop]
        if index == 0 and duplicate is not None:
            messages.insert(duplicate + 1, messages[duplicate])
        deliver(tally, master, worker_id, messages)
    summary = master.summary({}, workers=tally.summary())
    master.close()
    return summary, read_events(tmp_path / "events.jsonl")


def test_two_workers_add_up_exactly(tmp_path: Path) -> None:
    summary, events = run_two_workers(tmp_path)
    assert "accounting_error" not in summary
    assert summary["attempts"] == len(events) == 7 and summary["in_flight_at_end"] == 0
    rows = summary["workers"]
    assert [(r["index"], r["received"], r["sent"]) for r in rows] == [(0, 4, 4), (1, 3, 3)]
    assert accounting_problems(summary, events) == []


def test_a_lost_order_message_is_an_accounting_error(tmp_path: Path) -> None:
    summary, events = run_two_workers(tmp_path, drop=1)
    assert summary["workers"][0]["never_received"] == [2]
    assert "worker 0 (pid 10) sent 4 orders, the master received 3" in (summary["accounting_error"])
    assert accounting_problems(summary, events)  # the supervisor's re-check sees it too


def test_a_duplicated_order_message_is_counted_once(tmp_path: Path) -> None:
    summary, events = run_two_workers(tmp_path, duplicate=2)
    assert "accounting_error" not in summary
    assert summary["attempts"] == len(events) == 7
    assert summary["workers"][0]["duplicates"] == 1


def test_a_late_order_fills_its_gap() -> None:
    tally = WorkerTally("x")
    orders = [{"seq": n, "seen": True, "event": event(n).model_dump()} for n in (1, 3, 2)]
    assert all(tally.order("w", data) is not None for data in orders)
    (row,) = tally.summary()
    assert row["received"] == 3 and row["never_received"] == [] and row["duplicates"] == 0
    assert tally.order("w", {"seq": 4}) is None and tally.summary()[0]["malformed"] == 1


def test_a_worker_without_its_final_count_fails_loudly() -> None:
    tally = WorkerTally("x")
    tally.hello("w", {"index": 1, "digest": "x", "pid": 77, "host": "box"})
    tally.order("w", {"seq": 1, "seen": True, "event": event(1).model_dump()})
    (problem,) = worker_problems(tally.summary(), attempts=1)
    assert problem.startswith("worker 1 (pid 77 on box) never sent its final count")
    assert "1 orders received" in problem


def test_a_worker_that_never_started_is_no_problem_but_another_config_is() -> None:
    tally = WorkerTally("mine")
    tally.done("idle", {"index": 2, "reserved": 0, "attempts": 0, "sent": 0})
    tally.hello("odd", {"index": 0, "digest": "theirs"})
    tally.done("odd", {"index": 0, "reserved": 0, "attempts": 0, "sent": 0})
    problems = worker_problems(tally.summary(), attempts=0)
    assert problems == ["worker 0 (odd) runs another traffic config than the master"]


def test_counts_that_do_not_add_up_are_named() -> None:
    row = {"index": 0, "id": "w", "done": True, "received": 5, "sent": 5, "reserved": 6}
    row["attempts"] = 5
    assert worker_problems([row], attempts=4) == [
        "worker 0 (w) reserved 6 attempts but recorded 5",
        "the workers' orders add up to 5, the master counted 4",
    ]


def config(tmp_path: Path, **settings: Any) -> TrafficConfig:
    return TrafficConfig.from_data(
        {
            "service_url": "http://127.0.0.1:9",
            "jwks_url": "http://127.0.0.1:9/.well-known/jwks.json",
            "events_path": str(tmp_path / "e.jsonl"),
            "summary_path": str(tmp_path / "s.json"),
            "locust_prefix": str(tmp_path / "locust"),
            "diners": 2,
            "run_time_s": 1,
            **settings,
        }
    )


def test_processes_pick_the_locust_command_lines(tmp_path: Path) -> None:
    one = Cluster.local(config(tmp_path))
    assert not one.distributed and one.master_args() == [] and one.locust_role == "local"
    three = Cluster.local(config(tmp_path, processes=3))
    args = three.master_args()
    assert three.locust_role == "master" and three.workers == 3
    assert args[args.index("--master-bind-host") + 1] == "127.0.0.1"
    assert args[args.index("--expect-workers") + 1] == "3"
    assert args[args.index("--master-bind-port") + 1] == str(three.port)
    worker_argv = three.worker_argv(Path("lf.py"))
    assert worker_argv[worker_argv.index("--master-port") + 1] == str(three.port)
    assert "--worker" in worker_argv and "--headless" not in worker_argv
    remote = Cluster("master", 4, "10.0.0.5", 5557)
    assert remote.master_args()[:3] == ["--master", "--master-bind-host", "10.0.0.5"]
    assert Cluster("worker", 0, "10.0.0.5").locust_role == "worker"


def test_processes_is_bounded(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="processes"):
        config(tmp_path, processes=0)

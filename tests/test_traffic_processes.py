"""Traffic over several Locust processes, for real: `python -m harness.traffic` with
`processes: 2` (a master and two workers on 127.0.0.1) against the real factory and service.

The accounting must stay exact across workers: the summary's attempts == sum of outcomes ==
lines in the events file (written by the master alone) == the service's own POST /api/order
counter, each worker's received == sent and the workers' counts add up to the attempts. A
graceful stop loses nothing; a worker killed mid-run makes the accounting fail loudly (exit 3).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_traffic_run import Run, Stack, run_traffic, stack, wait_for_outcomes

from harness.traffic.events import tail_events

pytestmark = pytest.mark.slow  # real processes: not in `make test-fast`

__all__ = ["stack"]  # the module-scoped servers of test_traffic_run, started once for this file


def check_workers(run: Run, processes: int = 2) -> None:
    """Per-worker counts: all done, each received == sent, summed == attempts, ids unique."""
    workers = run.summary["workers"]
    assert run.summary["processes"] == processes
    assert sorted(w["index"] for w in workers) == list(range(processes))
    assert all(w["done"] and w["received"] == w["sent"] for w in workers), workers
    assert sum(w["received"] for w in workers) == run.summary["attempts"]
    assert run.summary["worker_exit_codes"] == [0] * processes
    by_worker = [w["attempts"] for w in workers]
    assert all(n > 0 for n in by_worker), by_worker  # both workers ordered


def diners_by_worker(run: Run) -> set[str]:
    return {event.diner for event in run.events}


def test_two_processes_count_every_order_once(stack: Stack) -> None:
    stack.reset()
    run = run_traffic(stack, "two", processes=2, diners=4, run_time_s=3.0)
    run.check_accounting()
    run.check_service_counter()
    check_workers(run)
    assert set(run.outcomes) == {"ok"}, run.outcomes
    assert run.summary["stopped_by"] == "run_time"
    assert len(diners_by_worker(run)) == 4  # unique across workers: no two diners are clones
    assert run.summary["locust"]["order_requests"] == run.summary["attempts"]
    prefix = stack.tmp / "two" / "locust"
    for suffix in (".json", ".html", "_stats.csv", ".log", "-worker-1.log", "-worker-2.log"):
        assert Path(f"{prefix}{suffix}").exists(), suffix
    print(
        "two processes:", run.summary["attempts"], [w["attempts"] for w in run.summary["workers"]]
    )


def test_two_processes_split_the_order_budget_exactly(stack: Stack) -> None:
    stack.reset()
    run = run_traffic(stack, "two-budget", processes=2, diners=4, run_time_s=30, max_orders=9)
    run.check_accounting()
    run.check_service_counter()
    check_workers(run)
    assert run.summary["attempts"] == 9 and run.summary["budget_exhausted"]
    assert sorted(w["share"] for w in run.summary["workers"]) == [4, 5]
    assert run.summary["stopped_by"] == "max_orders"


def test_a_graceful_stop_mid_run_loses_nothing(stack: Stack) -> None:
    """SIGTERM while throttled orders (300 ms) are in flight on both workers: they finish and
    are recorded by the master before it quits."""
    stack.reset()
    stack.arm("throttle")

    stopped_at: list[float] = []

    def stop_soon(proc: subprocess.Popen[str], events: Path) -> None:
        wait_for_outcomes(events, "ok", 6)
        stopped_at.append(time.time())
        proc.send_signal(signal.SIGTERM)

    started = time.monotonic()
    run = run_traffic(
        stack, "two-sigterm", during=stop_soon, processes=2, diners=4, run_time_s=40, slow_after_s=5
    )
    assert time.monotonic() - started < 30
    run.check_accounting()
    run.check_service_counter()
    check_workers(run)
    assert run.summary["stop_requested_by"] == "SIGTERM"
    assert set(run.outcomes) == {"ok"}, run.outcomes  # none killed in flight
    in_flight = [e for e in run.events if e.start < stopped_at[0] < e.end]
    assert in_flight, "no order was in flight at the stop: the test proves nothing"


def test_a_worker_killed_mid_run_fails_the_accounting(stack: Stack) -> None:
    stack.reset()
    stack.arm("throttle")  # orders take 300 ms: the killed worker has some in flight
    killed: list[int] = []

    def kill_a_worker(proc: subprocess.Popen[str], events: Path) -> None:
        wait_for_outcomes(events, "ok", 8)  # both workers have ordered by now
        killed.append(worker_pid(events, index=1))
        os.kill(killed[0], signal.SIGKILL)

    run = run_traffic(
        stack, "two-kill", during=kill_a_worker, processes=2, diners=4, run_time_s=6, slow_after_s=5
    )
    assert run.code == 3, run.output
    error, pid = run.summary["accounting_error"], killed[0]
    assert f"worker 1 (pid {pid} on " in error and "never sent its final count" in error, error
    assert f"worker process pid {pid} exited with code -9" in error, error
    lost = next(w for w in run.summary["workers"] if w["index"] == 1)
    survivor = next(w for w in run.summary["workers"] if w["index"] == 0)
    assert not lost["done"] and lost["received"] > 0
    assert survivor["done"] and survivor["received"] == survivor["sent"]
    # what the master did receive is still written once each
    assert len(run.events) == run.summary["attempts"] == sum(run.summary["outcomes"].values())
    assert "ACCOUNTING ERROR" in run.output


def worker_pid(events: Path, index: int) -> int:
    """The pid of Locust worker `index`, from its hello in the master's log."""
    log = events.with_name("locust.log")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in log.read_text(errors="replace").splitlines():
            if f"started: {{'index': {index}," in line:
                return int(line.split("'pid': ")[1].split(",")[0])
        time.sleep(0.1)
    raise AssertionError(f"no hello from worker {index} in {log}")


def test_the_master_and_workers_commands(stack: Stack, tmp_path: Path) -> None:
    """`--master` and `--worker` as on separate machines (here both on loopback): the same
    config, the master accounts, the worker exits 0."""
    stack.reset()
    from harness.netutil import free_port
    from harness.traffic.config import TrafficConfig

    config = TrafficConfig.from_data(
        {
            "service_url": stack.service,
            "jwks_url": f"{stack.factory}/.well-known/jwks.json",
            "events_path": str(tmp_path / "events.jsonl"),
            "summary_path": str(tmp_path / "summary.json"),
            "locust_prefix": str(tmp_path / "locust"),
            "diners": 2,
            "spawn_rate": 50,
            "run_time_s": 2.5,
            "think_time_s": [0.02, 0.1],
            "order_timeout_s": 3,
            "request_timeout_s": 3,
        }
    )
    path = config.write(tmp_path / "traffic.json")
    port = str(free_port())
    command = [sys.executable, "-m", "harness.traffic", str(path)]
    before = stack.orders_counted()
    master = subprocess.Popen(
        [*command, "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", port],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    worker = subprocess.Popen(
        [*command, "--worker", "--master-host", "127.0.0.1", "--master-port", port],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        master_out, _ = master.communicate(timeout=60)
        worker_out, _ = worker.communicate(timeout=30)
    finally:
        for proc in (master, worker):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert master.returncode == 0, master_out
    assert worker.returncode == 0, worker_out
    import json

    summary = json.loads(config.summary_path.read_text())
    events, _ = tail_events(config.events_path)
    assert summary["attempts"] == len(events) == sum(summary["outcomes"].values()) > 0
    (only,) = summary["workers"]
    assert only["done"] and only["received"] == only["sent"] == summary["attempts"]
    assert stack.orders_counted() - before == sum(1 for e in events if e.status is not None)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--master"], "--master needs --master-bind-host"),
        (["--worker"], "--worker needs --master-host"),
        (["--master", "--worker"], "not allowed with argument"),
    ],
)
def test_cluster_flags_are_checked(argv: list[str], message: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness.traffic", str(tmp_path / "x.json"), *argv],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and message in done.stderr, done.stderr


def test_no_locust_process_is_left_behind(stack: Stack) -> None:
    """Every master and worker above has exited (they run in their own sessions, so look for
    processes whose traffic config lies under this file's folder)."""
    leftovers = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            text = environ.read_bytes()
        except OSError:
            continue
        if f"HARNESS_TRAFFIC_CONFIG={stack.tmp}".encode() in text:
            leftovers.append(environ.parent.name)
    assert leftovers == []

"""Real traffic runs: the mock factory and the reference service as real processes on free
loopback ports, and `python -m harness.traffic cfg.json` as a subprocess (Locust never enters
this pytest process: locust-pitfalls 18).

Each run checks the accounting three ways: order lines in the events file == the summary's
attempts == the sum of its outcomes, and the service's own counter of POST /api/order equals the
attempts that got an HTTP answer. Chaos is armed through the factory's admin control plane.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from harness.netutil import free_port
from harness.procs import ManagedProcess, ProcessGroup
from harness.traffic.config import TrafficConfig
from harness.traffic.events import OrderEvent, read_events, tail_events

pytestmark = pytest.mark.slow  # real processes: not in `make test-fast`

VENDOR_KEY = "0123456789abcdef0123456789abcdef"
ADMIN = {"authorization": "Bearer traffic-admin"}
ORDER_DELAY_MS = 300


@dataclass
class Stack:
    factory: str
    service: str
    tmp: Path

    def arm(self, chaos: str) -> None:
        answer = httpx.put(
            f"{self.factory}/admin/chaos", json={"type": chaos, "start": "now"}, headers=ADMIN
        )
        assert answer.status_code == 200, answer.text

    def reset(self) -> None:
        assert httpx.post(f"{self.factory}/admin/reset", headers=ADMIN).status_code == 200

    def orders_counted(self) -> int:
        """The service's own count of POST /api/order answers, summed over status."""
        text = httpx.get(f"{self.service}/metrics").text
        return int(
            sum(
                sample.value
                for family in text_string_to_metric_families(text)
                for sample in family.samples
                if sample.name == "http_requests_total"
                and sample.labels.get("method") == "POST"
                and sample.labels.get("route") == "/api/order"
            )
        )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("traffic-stack")
    factory_port, service_port = free_port(), free_port()
    factory, service = f"http://127.0.0.1:{factory_port}", f"http://127.0.0.1:{service_port}"
    factory_args = [
        "serve", "factory", "--port", str(factory_port), "--vendor-key", VENDOR_KEY,
        "--admin-token", "traffic-admin", "--chaos-start", "now",
        "--order-delay-ms", str(ORDER_DELAY_MS),
    ]  # fmt: skip
    service_args = [
        "serve", "service", "--port", str(service_port), "--factory-url", factory,
        "--factory-key", VENDOR_KEY, "--db", str(tmp / "pizza.db"), "--quiet-logs",
        "--log-file", str(tmp / "service.jsonl"),
    ]  # fmt: skip
    with ProcessGroup() as group:
        group.start(ManagedProcess.harness("factory", factory_args, f"{factory}/api/docs", tmp))
        group.start(ManagedProcess.harness("service", service_args, f"{service}/", tmp))
        yield Stack(factory, service, tmp)


@dataclass
class Run:
    code: int
    summary: dict[str, Any]
    events: list[OrderEvent]
    counted_by_service: int
    output: str

    @property
    def outcomes(self) -> Counter[str]:
        return Counter(event.outcome for event in self.events)

    def check_accounting(self) -> None:
        assert self.code == 0, self.output
        assert "accounting_error" not in self.summary, self.summary["accounting_error"]
        assert (
            len(self.events) == self.summary["attempts"] == sum(self.summary["outcomes"].values())
        )
        assert self.outcomes == Counter({k: v for k, v in self.summary["outcomes"].items() if v})
        locust = self.summary["locust"]
        assert locust["order_requests"] == self.summary["attempts"]  # nobody killed in flight
        for one in self.events:
            assert one.start <= one.end and one.diner

    def check_service_counter(self) -> None:
        answered = sum(1 for event in self.events if event.status is not None)
        assert self.counted_by_service == answered


def run_traffic(
    stack: Stack,
    name: str,
    *,
    during: Callable[[subprocess.Popen[str], Path], None] | None = None,
    **settings: Any,
) -> Run:
    """Run `python -m harness.traffic` with a few diners and short think times."""
    folder = stack.tmp / name
    config = TrafficConfig.from_data(
        {
            "service_url": stack.service,
            "jwks_url": f"{stack.factory}/.well-known/jwks.json",
            "events_path": str(folder / "events.jsonl"),
            "summary_path": str(folder / "summary.json"),
            "locust_prefix": str(folder / "locust"),
            "diners": 3,
            "spawn_rate": 50,
            "run_time_s": 2.5,
            "think_time_s": [0.02, 0.1],
            "order_timeout_s": 3,
            "request_timeout_s": 3,
            "slow_after_s": 1.0,
            "seed": 11,
            **settings,
        }
    )
    path = config.write(folder / "traffic.json")
    before = stack.orders_counted()
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness.traffic", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        if during is not None:
            during(proc, config.events_path)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    summary = json.loads(config.summary_path.read_text())
    return Run(
        proc.returncode,
        summary,
        read_events(config.events_path),
        stack.orders_counted() - before,
        output,
    )


def wait_for_outcomes(path: Path, outcome: str, count: int, timeout_s: float = 15.0) -> None:
    """Block until the events file (read live, as the runner does) shows `count` `outcome`s."""
    seen, offset = 0, 0
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        events, offset = tail_events(path, offset)
        seen += sum(1 for event in events if event.outcome == outcome)
        if seen >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} {outcome} orders in {path} after {timeout_s} s")


def test_a_healthy_factory_makes_every_pizza(stack: Stack) -> None:
    stack.reset()
    run = run_traffic(stack, "healthy")
    run.check_accounting()
    run.check_service_counter()
    assert run.summary["attempts"] >= 10
    assert set(run.outcomes) == {"ok"}, run.outcomes
    assert run.summary["stopped_by"] == "run_time"
    assert len({event.diner for event in run.events}) == 3
    assert run.summary["locust"]["requests"] > run.summary["attempts"]  # login, menu, jwks...
    prefix = stack.tmp / "healthy" / "locust"
    for suffix in (".json", ".html", "_stats.csv", ".log"):
        assert Path(f"{prefix}{suffix}").exists(), suffix
    print("healthy:", run.summary["attempts"], dict(run.outcomes))


def test_fail_chaos_mid_run_gives_failed_orders_with_the_report_url(stack: Stack) -> None:
    stack.reset()

    def arm_after_some_pizza(proc: subprocess.Popen[str], events: Path) -> None:
        wait_for_outcomes(events, "ok", 5)
        stack.arm("fail")

    run = run_traffic(stack, "fail", during=arm_after_some_pizza, run_time_s=3.0)
    run.check_accounting()
    run.check_service_counter()
    assert run.outcomes["ok"] >= 5 and run.outcomes["failed"] >= 3, run.outcomes
    assert set(run.outcomes) == {"ok", "failed"}
    failed = [event for event in run.events if event.outcome == "failed"]
    assert all(event.status == 500 for event in failed)
    assert all(event.report_url and "/report/" in event.report_url for event in failed)
    assert failed[0].detail == "HTTP 500: Failed to fulfill order at factory"
    first_failure = min(event.start for event in failed)
    assert all(e.outcome == "ok" for e in run.events if e.end < first_failure)
    assert run.summary["locust"]["order_failures"] == len(failed)
    print("fail:", run.summary["attempts"], dict(run.outcomes))


def test_badjwt_chaos_gives_bad_pizza(stack: Stack) -> None:
    stack.reset()
    stack.arm("badjwt")
    run = run_traffic(stack, "badjwt", run_time_s=2.0)
    run.check_accounting()
    run.check_service_counter()
    assert set(run.outcomes) == {"bad_pizza"}, run.outcomes
    assert all(event.status == 200 and event.report_url for event in run.events)
    print("badjwt:", run.summary["attempts"], dict(run.outcomes))


def test_throttle_chaos_gives_slow_pizza(stack: Stack) -> None:
    stack.reset()
    stack.arm("throttle")
    run = run_traffic(stack, "throttle", run_time_s=2.0, slow_after_s=0.2)
    run.check_accounting()
    run.check_service_counter()
    assert set(run.outcomes) == {"slow"}, run.outcomes
    assert all(event.end - event.start >= ORDER_DELAY_MS / 1000 for event in run.events)
    assert all(event.report_url for event in run.events)  # the throttled 200 carries it too
    print("throttle:", run.summary["attempts"], dict(run.outcomes))


def test_a_diner_who_gives_up_counts_a_timeout(stack: Stack) -> None:
    stack.reset()
    stack.arm("throttle")
    run = run_traffic(stack, "timeout", run_time_s=1.5, order_timeout_s=0.15)
    run.check_accounting()
    assert set(run.outcomes) == {"timed_out"}, run.outcomes
    assert all(event.status is None for event in run.events)
    # at least the timeout; the upper bound only says it gave up (a busy machine stalls it)
    assert all(0.15 <= event.end - event.start < 5.0 for event in run.events)
    print("timeout:", run.summary["attempts"], dict(run.outcomes))


def test_sigterm_stops_the_diners_and_writes_the_summary(stack: Stack) -> None:
    stack.reset()
    stack.arm("throttle")  # orders in flight take 300 ms: the stop must wait for them

    def stop_soon(proc: subprocess.Popen[str], events: Path) -> None:
        wait_for_outcomes(events, "ok", 3)
        proc.send_signal(signal.SIGTERM)

    started = time.monotonic()
    run = run_traffic(stack, "sigterm", during=stop_soon, run_time_s=40, slow_after_s=5)
    assert time.monotonic() - started < 20
    run.check_accounting()
    run.check_service_counter()
    assert run.summary["stopped_by"] == "signal"
    assert run.summary["stop_requested_by"] == "SIGTERM"
    assert set(run.outcomes) == {"ok"}
    print("sigterm:", run.summary["attempts"], dict(run.outcomes))


def test_the_order_budget_bounds_the_run(stack: Stack) -> None:
    stack.reset()
    run = run_traffic(stack, "budget", run_time_s=30, max_orders=7)
    run.check_accounting()
    run.check_service_counter()
    assert run.summary["attempts"] == 7 and run.summary["budget_exhausted"]
    assert run.summary["stopped_by"] == "max_orders"


def test_no_process_is_left_behind(stack: Stack) -> None:
    """Every traffic run above has exited, its Locust child included (Locust runs in its own
    session, so an orphan would no longer descend from us: look for our paths instead)."""
    leftovers = subprocess.run(
        ["pgrep", "-f", f"--csv {stack.tmp}"], capture_output=True, text=True
    ).stdout.split()
    assert leftovers == []

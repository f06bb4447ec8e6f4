"""`harness load`: the pure step ramp, the scenario's `load:` section, and real short ramps
(factory, service and Locust diners as real processes on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
import yaml

from harness.errors import ConfigError, ExitCode
from harness.load.config import LoadExpect
from harness.load.measure import Mark, measure_steps, p95
from harness.netutil import free_port
from harness.scenario import ScenarioError, load_scenario
from harness.traffic.config import TrafficConfig
from harness.traffic.events import OrderEvent
from harness.traffic.steps import StepPlan

BASE = {"name": "load-test", "chaos": {"type": "fail", "at": "1m"}}
TINY = {"start": 2, "step": 2, "max": 4, "duration": "3s"}


def scenario_file(tmp_path: Path, load: dict) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump({**BASE, "load": load}))
    return path


def harness(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_folder(reports: Path) -> Path:
    (folder,) = list(reports.iterdir())
    return folder


# The pure step function --------------------------------------------------------------------------


def test_step_plan_is_a_pure_function_of_time() -> None:
    plan = StepPlan(start=10, step=10, max=35, step_s=5)
    assert plan.count == 4 and plan.duration_s == 20
    assert [plan.diners(i) for i in range(plan.count)] == [10, 20, 30, 35]  # last one capped
    assert plan.at(-0.1) is None and plan.at(20) is None and plan.tick(20.0) is None
    assert [plan.at(t).diners for t in (0, 4.99, 5, 14.9, 15, 19.99)] == [10, 10, 20, 30, 35, 35]
    assert plan.at(7).start_s == 5 and plan.at(7).end_s == 10
    users, rate = plan.tick(0)
    assert users == 10 and 0 < rate <= 100
    assert plan.tick(0) == plan.tick(0)  # same time, same answer
    assert StepPlan(start=5, step=1, max=5, step_s=1).count == 1


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"start": 10, "step": 5, "max": 5, "step_s": 1}, "below start"),
        ({"start": 1, "step": 1, "max": 1000, "step_s": 1}, "more than 200"),
        ({"start": 0, "step": 1, "max": 2, "step_s": 1}, "greater than or equal to 1"),
    ],
)
def test_step_plan_refuses_unbounded_or_empty_ramps(fields: dict, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        StepPlan(**fields)


def test_steps_are_measured_from_the_marks_and_judged() -> None:
    def order(end: float, took: float, outcome: str = "ok") -> OrderEvent:
        return OrderEvent(diner="d", start=end - took, end=end, outcome=outcome, status=200)  # type: ignore[arg-type]

    marks = [Mark(0, 2, 100.0), Mark(1, 4, 104.0)]
    # step 0 measured in [101, 104): 30 fast orders; step 1 in [105, 108): slow and failing
    orders = [order(101 + i * 0.1, 0.05) for i in range(30)]
    orders += [order(105 + i * 0.1, 0.9, "failed" if i % 5 == 0 else "ok") for i in range(20)]
    orders += [order(100.5, 0.01)]  # in the warm-up: not counted
    expect = LoadExpect(p95_latency=0.5, max_error_ratio=0.1)
    steps = measure_steps(orders, marks, 4.0, expect, until=200)
    assert [s.orders for s in steps] == [30, 20]
    assert steps[0].held and steps[0].good_per_s == pytest.approx(10.0)
    assert steps[1].broken == "p95 900 ms > 500ms, errors 20.0% > 10.0%"
    assert measure_steps(orders, marks, 4.0, expect, until=107) == steps[:1]  # 1 not over yet
    assert p95([float(i) for i in range(1, 101)]) == 95.0 and p95([]) is None


def test_traffic_config_takes_steps_up_to_its_diners(tmp_path: Path) -> None:
    base = {
        "service_url": "http://127.0.0.1:1",
        "jwks_url": "http://127.0.0.1:2/.well-known/jwks.json",
        "events_path": str(tmp_path / "e"),
        "summary_path": str(tmp_path / "s"),
        "locust_prefix": str(tmp_path / "l"),
        "run_time_s": 10,
        "steps": {"start": 1, "step": 1, "max": 4, "step_s": 1},
    }
    assert TrafficConfig.from_data({**base, "diners": 4}).steps == StepPlan(
        start=1, step=1, max=4, step_s=1
    )
    with pytest.raises(ConfigError, match=r"steps\.max 4 is above diners 2"):
        TrafficConfig.from_data({**base, "diners": 2})


def test_a_steps_ramp_may_run_in_several_locust_processes(tmp_path: Path) -> None:
    plan = StepPlan(start=10, step=10, max=20, step_s=5)
    config = TrafficConfig(
        service_url="http://127.0.0.1:1",
        jwks_url="http://127.0.0.1:2/.well-known/jwks.json",
        events_path=tmp_path / "orders.jsonl",
        summary_path=tmp_path / "summary.json",
        locust_prefix=tmp_path / "locust",
        diners=20,
        run_time_s=10,
        steps=plan,
        processes=2,
    )
    assert config.processes == 2 and config.steps == plan


# The scenario's load: section --------------------------------------------------------------


def test_load_section_defaults_when_absent() -> None:
    load = load_scenario(Path("scenarios/seed-incident.yaml")).load
    assert list(load.configurations()) == ["healthy", "latency", "partial_failure", "throttle"]
    assert load.think_time == (0.0, 0.0) and load.expect.min_capacity is None
    assert load.steps.plan().count >= 2


@pytest.mark.parametrize(
    ("load", "names"),
    [
        ({"steps": {"start": 20, "max": 10}}, "load.steps: Value error, max 10 is below start 20"),
        ({"steps": {"duration": "ten"}}, "load.steps.duration"),
        ({"expect": {"max_error_ratio": 2}}, "load.expect.max_error_ratio"),
        ({"expect": {"p95_latency": "fast"}}, "load.expect.p95_latency"),
        ({"degradations": {"slow": {"kind": "teleport"}}}, "load.degradations.slow"),
        (
            {"degradations": {"slow": {"kind": "latency", "settings": {"fixed_ms": -1}}}},
            "settings.fixed_ms",
        ),
        ({"degradations": {"healthy": {"kind": "latency"}}}, "load.degradations"),
        ({"think_time": ["2s", "1s"]}, "load.think_time"),
        ({"stepz": {}}, "load.stepz"),
    ],
)
def test_load_section_errors_name_the_field(tmp_path: Path, load: dict, names: str) -> None:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(scenario_file(tmp_path, load))
    assert names in str(caught.value)


@pytest.mark.slow
def test_a_bad_load_scenario_exits_2_before_starting_anything(tmp_path: Path) -> None:
    done = harness("load", str(scenario_file(tmp_path, {"steps": {"start": 0}})))
    assert done.returncode == ExitCode.USAGE_ERROR and "load.steps.start" in done.stderr
    done = harness("load", str(scenario_file(tmp_path, {})), "--only", "nope")
    assert done.returncode == ExitCode.USAGE_ERROR and "healthy" in done.stderr


# Real ramps -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_healthy_ramp_writes_the_capacity_table(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, {"steps": TINY, "expect": {"min_capacity": 1}})
    reports = tmp_path / "reports"
    done = harness("load", str(path), "--only", "healthy", "--report-dir", str(reports))
    assert done.returncode == ExitCode.OK, done.stdout + done.stderr
    folder = run_folder(reports)
    assert folder.name.endswith("-load-test-load")
    data = json.loads((folder / "capacity.json").read_text())
    (healthy,) = data["configurations"]
    steps = healthy["steps"]
    assert healthy["status"] == "held" and [s["diners"] for s in steps] == [2, 4]
    assert all(s["held"] and s["orders"] > 0 and s["error_ratio"] == 0 for s in steps)
    assert 0 < healthy["capacity_orders_per_s"] == max(s["good_per_s"] for s in steps)
    assert all(0 < s["p95_s"] < 1 for s in steps)
    assert data["exit_code"] == 0 and data["verdict"].startswith("PASS")
    md = (folder / "capacity.md").read_text()
    assert "| healthy | none |" in md and "## Steps" in md
    assert (folder / "healthy" / "locust.html").stat().st_size > 0
    assert "load healthy: step 1/2" in done.stderr and "capacity (ok orders/s)" in done.stdout


@pytest.mark.parametrize(
    ("p95", "status", "stopped_by"),
    [("5s", "held", "steps_done"), ("300ms", "broke", "signal")],
)
@pytest.mark.slow
def test_a_ramp_in_a_master_and_two_workers_keeps_the_exact_accounting(
    tmp_path: Path, p95: str, status: str, stopped_by: str
) -> None:
    # every order takes 0.8 s, so orders are in flight when the ramp ends or breaks: Locust's
    # own quit (0.5 s for the workers) would lose them, the master's two-step stop does not
    slow = {"kind": "latency", "settings": {"fixed_ms": 800, "jitter_ms": 0}}
    load = {"steps": TINY, "degradations": {"slow": slow}, "expect": {"p95_latency": p95}}
    reports = tmp_path / "reports"
    args = ["load", str(scenario_file(tmp_path, load)), "--only", "slow", "--processes", "2"]
    done = harness(*args, "--report-dir", str(reports))
    assert done.returncode == ExitCode.OK, done.stdout + done.stderr
    folder = run_folder(reports)
    (slowed,) = json.loads((folder / "capacity.json").read_text())["configurations"]
    assert slowed["status"] == status and slowed["steps"][0]["diners"] == 2  # the master's marks
    summary = json.loads((folder / "slow" / "traffic-summary.json").read_text())
    workers = summary["workers"]
    assert summary["stopped_by"] == stopped_by and summary["processes"] == 2
    assert all(w["done"] and w["digest_matches"] and w["attempts"] > 0 for w in workers)
    lines = (folder / "slow" / "orders.jsonl").read_text().splitlines()
    orders = [json.loads(line) for line in lines if '"kind": "step"' not in line]
    assert summary["attempts"] == sum(w["received"] for w in workers) == len(orders)
    assert all(o["outcome"] in ("ok", "slow") for o in orders), Counter(
        o["outcome"] for o in orders
    )
    assert "a Locust master and 2 workers" in (folder / "capacity.md").read_text()


@pytest.mark.slow
def test_a_latency_degradation_breaks_p95_at_the_first_step(tmp_path: Path) -> None:
    load = {
        "steps": TINY,
        "expect": {"p95_latency": "300ms"},
        "degradations": {"slow": {"kind": "latency", "settings": {"fixed_ms": 500}}},
    }
    reports = tmp_path / "reports"
    done = harness("load", str(scenario_file(tmp_path, load)), "--only", "slow",
                   "--report-dir", str(reports))  # fmt: skip
    assert done.returncode == ExitCode.OK, done.stdout + done.stderr
    folder = run_folder(reports)
    (slow,) = json.loads((folder / "capacity.json").read_text())["configurations"]
    assert slow["status"] == "broke" and len(slow["steps"]) == 1  # the ramp stopped there
    assert slow["breaking_point"]["diners"] == 2 and "p95" in slow["breaking_point"]["why"]
    assert slow["steps"][0]["p95_s"] >= 0.5 and slow["capacity_orders_per_s"] == 0
    assert "2 diners (step 1)" in (folder / "capacity.md").read_text()
    assert "BROKE: p95" in done.stderr


@pytest.mark.slow
def test_min_capacity_not_met_exits_1(tmp_path: Path) -> None:
    load = {"steps": {**TINY, "max": 2}, "expect": {"min_capacity": 1_000_000}}
    reports = tmp_path / "reports"
    done = harness("load", str(scenario_file(tmp_path, load)), "--only", "healthy",
                   "--report-dir", str(reports))  # fmt: skip
    assert done.returncode == ExitCode.EXPECTATION_FAILED, done.stdout + done.stderr
    assert "FAIL: healthy capacity" in done.stdout
    data = json.loads((run_folder(reports) / "capacity.json").read_text())
    assert data["exit_code"] == 1


@pytest.mark.slow
def test_web_ui_comes_up_on_loopback_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    reports = tmp_path / "reports"
    proc = subprocess.Popen(
        [sys.executable, "-m", "harness", "load", str(scenario_file(tmp_path, {})), "--web",
         "--only", "latency", "--web-port", str(port), "--report-dir", str(reports)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        deadline, answer = time.monotonic() + 60, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.HTTPError:
                time.sleep(0.3)
        assert answer is not None and answer.status_code == 200 and "locust" in answer.text.lower()
        with pytest.raises(httpx.HTTPError):  # bound to 127.0.0.1 only
            httpx.get(f"http://{_other_address()}:{port}/", timeout=2)
        os.kill(proc.pid, signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == ExitCode.OK, out
    assert "Locust web UI at http://127.0.0.1:" in out and "fault latency" in out
    folder = run_folder(reports)
    state = (folder / "factory.log").read_text()
    assert "Uvicorn running" in state or state  # the factory ran in this folder
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/", timeout=2)  # the UI is gone


def _other_address() -> str:
    """A non-loopback address of this machine, or one that surely is not listening."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.connect(("10.255.255.255", 1))
            address = str(sock.getsockname()[0])
        except OSError:
            return "127.0.0.2"
    return address if not address.startswith("127.") else "127.0.0.2"

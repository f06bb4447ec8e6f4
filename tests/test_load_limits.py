"""What limited a load test, and the bench's scale targets, from figures without a run: a step's
usage between two /proc readings, the sentence `capacity.md` gives for each kind of limit, the
at-most targets, and the scale rows' verdicts (a miss on each target); `--processes` bounds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.bench.report import Row, missed
from harness.bench.scale import ScaleRun, scale_rows
from harness.cli import build_parser
from harness.factory.faults import FaultSpec
from harness.load.limiter import what_limited
from harness.load.measure import StepResult
from harness.load.ramp import ConfigResult
from harness.load.usage import Reading, StepUsage, between, read

CORES = os.cpu_count() or 1


def reading(t: float, diners_s: float, machine_s: float, rss_mb: float = 100) -> Reading:
    cpu = {"diners": diners_s, "service": 2 * diners_s, "factory": 0.0}
    rss = {"diners": int(rss_mb * 2**20), "service": 0, "factory": 0}
    return Reading(t, cpu, rss, machine_s, available_mb=4096)


def test_a_steps_usage_is_the_difference_of_two_readings_per_second() -> None:
    u = between(reading(10, 1.0, 50), reading(20, 4.0, 50 + 5 * CORES, rss_mb=300))
    assert u.seconds == 10
    assert u.cpu_percent == {"diners": 30.0, "service": 60.0, "factory": 0.0}
    assert u.machine_percent == pytest.approx(50.0)
    assert u.rss_mb["diners"] == 300


def test_a_process_that_ended_in_the_window_never_makes_usage_negative() -> None:
    u = between(reading(0, 9.0, 10), reading(1, 2.0, 10))
    assert u.cpu_percent["diners"] == 0.0 and u.machine_percent == 0.0


@pytest.mark.slow  # starts a child process
def test_a_reading_of_this_process_tree_counts_its_children() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        r = read({"diners": os.getpid()}, 0.0)
        assert r.cpu_s["diners"] > 0 and r.rss["diners"] > 0 and r.machine_s > 0
        alone = read({"diners": child.pid}, 0.0).rss["diners"]
        assert 0 < alone < r.rss["diners"]  # the child's pages are in its parent's tree
    finally:
        child.kill()
        child.wait()


def step(cpu: dict[str, float], machine: float, *, broken: str = "", mb: float = 8e3) -> StepResult:
    usage = StepUsage(10.0, cpu, machine, {"diners": 200.0}, available_mb=mb)
    return StepResult(2, 7_500, 0.0, 10.0, 3000, 3000, 300.0, 0.2, 0.0, broken=broken, usage=usage)


def result(s: StepResult, fault: FaultSpec | None = None) -> ConfigResult:
    held = step({}, 10.0)
    return ConfigResult("healthy" if fault is None else "slow", fault, Path("."), [held, s])


@pytest.mark.parametrize(
    ("cpu", "machine", "mb", "processes", "says"),
    [
        ({"service": 97, "factory": 40, "diners": 30}, 95, 8000, 1, "the service (one process)"),
        ({"service": 20, "factory": 190, "diners": 30}, 99, 8000, 1, "the factory (2 workers)"),
        ({"service": 20, "factory": 40, "diners": 95}, 90, 8000, 1, "the diners' CPU (one Locust"),
        ({"service": 60, "factory": 60, "diners": 70}, 96, 8000, 1, "the machine's CPU, shared"),
        ({"service": 20, "factory": 40, "diners": 95}, 80, 300, 1, "memory: 300 MB left"),
        ({"service": 20, "factory": 40, "diners": 120}, 92, 8000, 2, "the machine's CPU, shared"),
        ({"service": 20, "factory": 40, "diners": 190}, 99, 8000, 2, "the diners' CPU (2 Locust"),
    ],
)
def test_the_limit_named_is_the_part_at_its_ceiling(
    cpu: dict[str, float], machine: float, mb: float, processes: int, says: str
) -> None:
    line = what_limited(result(step(cpu, machine, broken="p95 1.4 s > 1 s", mb=mb)), 2, processes)
    assert line.startswith("healthy, step 3 (7500 diners): ")
    assert says in line, line


def test_a_ramp_that_held_or_broke_without_a_saturated_part_says_so() -> None:
    quiet = {"service": 30, "factory": 20, "diners": 10}
    assert "nothing saturated: the ramp ended at its top step" in what_limited(
        result(step(quiet, 30)), 2
    )
    slow = FaultSpec(kind="latency", settings={"fixed_ms": 900})
    line = what_limited(result(step(quiet, 30, broken="p95 1.2 s > 1 s"), slow), 2)
    assert line.startswith("slow (fault: ") and line.endswith(": p95 1.2 s > 1 s")
    assert what_limited(ConfigResult("healthy", None, Path(".")), 2).endswith("(not run)")


def test_at_most_targets_pass_at_or_below_and_are_reported_missed_above() -> None:
    cpu = Row("scale_cpu", "  diners' CPU, % of the machine", "%", [20, 31, 30], 25, at_most=True)
    held = Row("scale_held", "diners held", "diners", [5000], target=10_000)
    assert cpu.passed is False and cpu.target_text() == "<= 25.0"
    assert held.passed is False
    assert missed([cpu, held]) == [
        "MISSED TARGET: diners' CPU, % of the machine: median 30.0 % > 25.0",
        "MISSED TARGET: diners held: median 5,000 diners < 10,000",
    ]
    assert Row("x", "x", "%", [25.0], 25, at_most=True).passed is True


def scale(steps: list[StepResult], service: float | None) -> dict[str, Row]:
    plan = ConfigResult("healthy", None, Path("."), steps)
    return {r.id: r for r in scale_rows(ScaleRun(plan, service))}


def ramp_step(diners: int, ok_per_s: float, cpu: float, rss: float, broken: str = "") -> StepResult:
    usage = StepUsage(30.0, {"diners": cpu}, 50.0, {"diners": rss}, 8000)
    return StepResult(0, diners, 0.0, 30.0, 1, 1, ok_per_s, 0.1, 0.0, broken=broken, usage=usage)


def test_the_scale_rows_pass_when_every_target_is_met() -> None:
    rows = scale([ramp_step(2_500, 124, 5, 150), ramp_step(10_000, 480, 20, 390)], service=700)
    assert rows["scale_held"].median == 10_000 and rows["scale_held"].passed
    assert rows["scale_ratio"].median == pytest.approx(480 / 500) and rows["scale_ratio"].passed
    assert rows["scale_cpu"].median == pytest.approx(20 / CORES)
    assert rows["scale_memory"].median == pytest.approx(1024 * 240 / 7_500)
    assert rows["scale_cpu_order"].median == pytest.approx(10 * 20 / 480)


def test_the_machines_ceiling_is_its_cores_over_the_cpu_one_order_costs() -> None:
    # the figures of a bench run here: service 81 %, factory 57 %, diners 44 % of a core at
    # 305 ok orders/s is 5.97 ms of CPU an order: two cores pay for 335 orders/s, not 500
    usage = StepUsage(
        20.0, {"service": 81, "factory": 57, "diners": 44}, 95.0, {"diners": 290}, 8e3
    )
    top = StepResult(2, 7_500, 0.0, 20.0, 6100, 6100, 305.0, 5.4, 0.0, usage=usage)
    rows = scale([ramp_step(2_500, 124, 5, 150), top], service=406)
    assert rows["scale_cost"].median == pytest.approx(10 * 182 / 305)
    assert rows["scale_cost_factory"].median == pytest.approx(10 * 57 / 305)
    ceiling = 1000 * CORES / (10 * 182 / 305)
    assert rows["scale_ceiling"].median == pytest.approx(ceiling)
    assert rows["scale_ceiling_need"].median == pytest.approx(ceiling / 500)


def test_each_scale_target_can_fail() -> None:
    broke = ramp_step(10_000, 300, 70 * CORES, 390, broken="p95 3.1 s > 1 s")
    rows = scale([ramp_step(2_500, 124, 5, 150), broke], service=None)
    assert rows["scale_held"].median == 2_500 and rows["scale_held"].passed is False
    assert rows["scale_ratio"].median == pytest.approx(300 / 500) and not rows["scale_ratio"].passed
    assert rows["scale_cpu"].median == pytest.approx(70) and rows["scale_cpu"].passed is False
    # the service row's capacity bounds the prediction when it is the smaller
    slow_service = scale([ramp_step(2_500, 124, 5, 150), broke], service=310)
    assert slow_service["scale_ratio"].median == pytest.approx(300 / 310)


@pytest.mark.parametrize("value", ["0", "65", "two"])
def test_load_processes_out_of_bounds_is_a_usage_error(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit:
        build_parser().parse_args(["load", "scenarios/seed-incident.yaml", "--processes", value])
    assert exit.value.code == 2
    assert "--processes" in capsys.readouterr().err

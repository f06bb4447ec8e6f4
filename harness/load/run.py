"""`harness load SCENARIO`: every configuration's ramp (healthy first, then each degradation), the
capacity table printed and written to the run folder, and the exit code.

    0  done (and the healthy capacity holds `load.expect.min_capacity` when one is given)
    1  the healthy capacity is below `load.expect.min_capacity`
    2  bad scenario or command line (nothing started)
    3  harness error (a server or the diners failed, the order accounting did not add up)
    4  interrupted (Ctrl-C, SIGTERM): faults cleared, every process stopped, partial table kept
"""

from __future__ import annotations

import platform
import time
import traceback
from pathlib import Path

from harness.durations import format_duration
from harness.errors import ConfigError, ExitCode, HarnessError, UsageError
from harness.factory.faults import FaultSpec
from harness.load.config import HEALTHY, Load
from harness.load.limiter import what_limited
from harness.load.measure import warmup_s
from harness.load.ramp import ConfigResult, Progress, Ramp, stderr
from harness.load.table import markdown_report, text_report, write_json
from harness.runner import run_dir_for
from harness.scenario import Scenario, load_scenario
from harness.traffic.steps import StepPlan


def select(load: Load, only: list[str] | None) -> dict[str, FaultSpec | None]:
    """The configurations to run, in the scenario's order; UsageError naming an unknown one."""
    every = load.configurations()
    if not only:
        return every
    wanted = {name.strip() for item in only for name in item.split(",") if name.strip()}
    unknown = sorted(wanted - every.keys())
    if unknown:
        raise UsageError(
            f"--only: no configuration named {', '.join(unknown)}",
            fix=f"choose from: {', '.join(every)}",
        )
    return {name: fault for name, fault in every.items() if name in wanted}


def plan_for(load: Load, step_time: float | None, max_diners: int | None) -> StepPlan:
    try:
        return load.steps.plan(duration=step_time, max_diners=max_diners)
    except ValueError as exc:
        raise ConfigError("--step-time/--max-diners", str(exc).splitlines()[-1]) from None


def verdict(results: list[ConfigResult], load: Load, status: str) -> tuple[ExitCode, str]:
    healthy = next((r for r in results if r.name == HEALTHY), None)
    minimum = load.expect.min_capacity
    if status == "interrupted":
        return ExitCode.INTERRUPTED, "INTERRUPTED: faults cleared, every process stopped"
    if status == "error" or any(r.status == "error" for r in results):
        failed = next((r for r in results if r.status == "error"), None)
        why = f"{failed.name}: {failed.detail}" if failed else "see the messages above"
        return ExitCode.HARNESS_ERROR, f"ERROR: {why}"
    if minimum is None:
        return ExitCode.OK, "no load.expect.min_capacity: the table is a measurement (exit 0)"
    if healthy is None:
        return ExitCode.OK, f"min_capacity {minimum:g} orders/s not checked: healthy was not run"
    if healthy.capacity >= minimum:
        return ExitCode.OK, (
            f"PASS: healthy capacity {healthy.capacity:,.1f} ok orders/s >= min_capacity "
            f"{minimum:g}"
        )
    return ExitCode.EXPECTATION_FAILED, (
        f"FAIL: healthy capacity {healthy.capacity:,.1f} ok orders/s < min_capacity {minimum:g}"
    )


def setup_text(scenario: Scenario, plan: StepPlan) -> str:
    load, exp = scenario.load, scenario.load.expect
    think = "/".join(format_duration(t) for t in load.think_time)
    return (
        f"Scenario `{scenario.name}`: steps of {plan.step_s:g} s from {plan.start} to {plan.max} "
        f"diners by {plan.step} (first {warmup_s(plan.step_s, plan.spawn_s()):g} s of each step "
        "not measured: its new diners start), "
        f"think time {think}, {load.pizzas[0]}-{load.pizzas[1]} pizzas an order, factory "
        f"{load.factory_workers} workers, diners in {_processes(load.processes)}; a step breaks "
        "when its p95 order latency is above "
        f"{format_duration(exp.p95_latency)} or more than {exp.max_error_ratio:.1%} of its "
        f"orders fail. Capacity: the most ok orders/s of a step that held."
    )


def _processes(n: int) -> str:
    return "one Locust process" if n == 1 else f"a Locust master and {n} workers"


def run_load(
    path: Path,
    *,
    only: list[str] | None = None,
    step_time: float | None = None,
    max_diners: int | None = None,
    processes: int | None = None,
    report_dir: Path = Path("reports"),
    progress: Progress = stderr,
) -> int:
    given = {} if processes is None else {"load__processes": processes}
    scenario = load_scenario(path, overrides=given)  # bad scenario: exit 2, nothing started
    load = scenario.load
    configs = select(load, only)
    plan = plan_for(load, step_time, max_diners)
    named = scenario.model_copy(update={"name": f"{scenario.name}-load"})
    run_dir = run_dir_for(report_dir.resolve(), named)
    print(f"harness load {path} -> {run_dir}", flush=True)
    results: list[ConfigResult] = []
    status, started = "done", time.time()
    try:
        for name, degradation in configs.items():
            ramp = Ramp(
                name,
                degradation,
                load,
                plan,
                run_dir / name,
                seed=scenario.seed,
                report_field=scenario.report_field,
                progress=progress,
            )
            results.append(ramp.result)
            ramp.run()
    except KeyboardInterrupt:
        status = "interrupted"
    except HarnessError as exc:
        status = "error"
        progress(f"harness load: error: {exc}")
    except Exception as exc:  # a bug: the table and the traceback are still written
        (run_dir / "crash.txt").write_text(traceback.format_exc())
        status = "error"
        progress(f"harness load: crashed: {exc!r} (traceback in {run_dir / 'crash.txt'})")
    code, line = verdict(results, load, status)
    title = f"Load test: {scenario.name}"
    setup = setup_text(scenario, plan)
    limits = [what_limited(r, load.factory_workers, load.processes) for r in results]
    (run_dir / "capacity.md").write_text(markdown_report(title, setup, results, line, limits))
    meta = {
        "scenario": scenario.name,
        "status": status,
        "exit_code": int(code),
        "verdict": line,
        "plan": plan.model_dump(),
        "expect": load.expect.model_dump(),
        "limited_by": limits,
        "started": started,
        "ended": time.time(),
        "python": platform.python_version(),
    }
    write_json(run_dir / "capacity.json", meta, results)
    print(f"{title} (capacity.md, capacity.json in {run_dir})")
    print(text_report(results, line), flush=True)
    print("what limited the run:\n" + "\n".join(f"  {lim}" for lim in limits), flush=True)
    return int(code)

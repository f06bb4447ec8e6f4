"""`harness run SCENARIO`: one whole incident, end to end, always rolled back.

Starts the factory, the service and the diners on free 127.0.0.1 ports, arms the chaos, runs the
control loop (alerting, pager, auto-reporter) in scenario time, and on EVERY exit path (pass,
fail, Ctrl-C, SIGTERM, a child crashing) stops the traffic, clears the chaos, stops every child,
checks the order accounting, writes the verdict, `summary.json`, `junit.xml` and the
post-mortem (`postmortem.md`, `postmortem.html` and its charts).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from harness.errors import ExitCode, HarnessError
from harness.procs import ProcessGroup
from harness.results import render, write_outputs
from harness.runner.arm import arm_faults
from harness.runner.finish import rollback, service_order_count
from harness.runner.live import STATUS
from harness.runner.loop import RunAborted, RunLoop
from harness.runner.preflight import CANARIES, canary
from harness.runner.stack import (
    FactoryControl,
    Stack,
    start_scenario_servers,
    start_team_service,
    start_traffic,
)
from harness.runner.warmup import warm_up
from harness.scenario import Scenario, load_scenario
from harness.scenario_checks import long_run_warning
from harness.timeline import (
    RunEnded,
    RunStarted,
    ServerStarted,
    TelemetryProblem,
    Timeline,
    read_timeline,
)
from harness.timescale import wall_load
from harness.verdict import checks, exit_code


def run_dir_for(report_dir: Path, scenario: Scenario) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", scenario.name)
    report_dir.mkdir(parents=True, exist_ok=True)
    path, suffix = report_dir / f"{stamp}-{slug}", 1
    while True:  # mkdir is the claim: two runs started in the same second get two folders
        try:
            path.mkdir()
            return path
        except FileExistsError:
            suffix += 1
            path = report_dir / f"{stamp}-{slug}-{suffix}"


@dataclass(frozen=True)
class RunResult:
    """Where a run left its folder (summary.json, junit.xml, ...) and how it exited."""

    run_dir: Path
    exit_code: int


MakeLoop = Callable[[Scenario, Stack, Timeline, ProcessGroup], RunLoop]


def run_scenario(
    path: Path,
    *,
    time_scale: float | Literal["auto"] | None = None,
    report_dir: Path = Path("reports"),
    overrides: Mapping[str, Any] | None = None,
) -> int:
    """`harness run`: the run's exit code (run_scenario_result also gives its folder)."""
    return run_scenario_result(
        path, time_scale=time_scale, report_dir=report_dir, overrides=overrides
    ).exit_code


def run_scenario_result(
    path: Path,
    *,
    time_scale: float | Literal["auto"] | None = None,
    report_dir: Path = Path("reports"),
    overrides: Mapping[str, Any] | None = None,
) -> RunResult:
    """One whole run; `overrides` are scenario fields (see harness.scenario.apply_overrides)."""
    # bad scenario (ScenarioError, exit 2): nothing started
    scenario = load_scenario(path, time_scale=time_scale, overrides=overrides)
    warning = long_run_warning(scenario)
    if warning:
        print(f"harness: {warning}", file=sys.stderr, flush=True)
    return execute(scenario, report_dir, f"harness run {path}")


def execute(
    scenario: Scenario, report_dir: Path, title: str, make_loop: MakeLoop = RunLoop
) -> RunResult:
    """Run a validated scenario with the control loop `make_loop` builds (a game day brings its
    own); the rollback, verdict and post-mortem are the same for every run."""
    run_dir = run_dir_for(report_dir.resolve(), scenario)  # children run in other directories
    timeline = Timeline(run_dir / "timeline.jsonl", scenario.time_scale)
    timeline.add(
        RunStarted(scenario=scenario.name, time_scale=scenario.time_scale, seed=scenario.seed)
    )
    print(f"{title} -> {run_dir}", flush=True)
    if scenario._time_scale_note:
        print(scenario._time_scale_note, flush=True)
        note = TelemetryProblem(problem="time_scale", detail=scenario._time_scale_note)
        timeline.add(note)
    group, status, reason = ProcessGroup(), "passed", ""
    stack: Stack | None = None
    loop: RunLoop | None = None
    try:
        stack = start_scenario_servers(group, run_dir, scenario)
        loop = make_loop(scenario, stack, timeline, group)
        start_team_service(group, stack, scenario, loop.open_inbox())
        for name, url in (("factory", stack.factory_url), ("service", stack.service_url)):
            timeline.add(ServerStarted(name=name, url=url))
        if scenario.service.url is not None:  # a team's service: is it wired to our factory?
            print(wall_load(scenario), flush=True)
            loop.state.orders_before = orders_before(scenario, stack)
            loop.state.probe_item, took = canary(stack, scenario)
            loop.state.probes += CANARIES  # orders the service counted, not the diners'
            for problem in warm_up(scenario, stack.service_url, loop.inbox, took):
                timeline.add(problem)
        for rule in loop.watch.rule_events():
            timeline.add(rule)
        loop.register_probe_diner()
        start_traffic(group, stack, scenario)
        loop.wait_for_first_order()
        timeline.start_clock(time.time())  # scenario time 0: the diners are ordering
        for armed in arm_faults(FactoryControl(stack), scenario, timeline.t0 or time.time()):
            timeline.add(armed)
        with sigterm_kept():
            asyncio.run(loop.run())
    except (KeyboardInterrupt, asyncio.CancelledError):
        status, reason = "interrupted", "interrupted by a signal; chaos cleared, servers stopped"
    except RunAborted as exc:
        status, reason = "interrupted", f"{exc}; chaos cleared, servers stopped"
    except HarnessError as exc:
        status, reason = "error", str(exc)
    except Exception as exc:  # a bug in the harness: still roll back, keep the traceback
        (run_dir / "crash.txt").write_text(traceback.format_exc())
        status, reason = "error", f"harness crashed: {exc!r} (traceback in crash.txt)"
    finally:
        with signals_held() as held:  # a second Ctrl-C or SIGTERM must not cut the rollback short
            try:
                if stack is not None:
                    rollback(group, stack, timeline, loop)
            except Exception as exc:
                status, reason = "error", f"rollback failed: {exc!r}; servers stopped"
            finally:
                group.stop()
                if loop is not None:
                    loop.close_inbox()  # after the service: its last pushes are not refused
        if held and status != "error":  # remembered: the run was interrupted all the same
            status = "interrupted"
            reason = reason or f"interrupted by {held[0]} during the rollback; chaos cleared"
    return RunResult(run_dir, finish(timeline, scenario, run_dir, status, reason))


def orders_before(scenario: Scenario, stack: Stack) -> int | None:
    """What a team's service has counted already (a running service keeps its counters); None
    when it pushes its metrics: its first push comes after the diners start."""
    if scenario.service.metrics == "push":
        return None
    return service_order_count(stack, scenario.service.order_counter) or 0  # none yet: 0


@contextlib.contextmanager
def sigterm_kept() -> Iterator[None]:
    """asyncio.run removes the loop's SIGTERM handler by resetting SIGTERM to its default
    (death, no rollback): put back the handler that was there (the CLI's, pytest's)."""
    main = threading.current_thread() is threading.main_thread()
    saved = signal.getsignal(signal.SIGTERM) if main else None
    try:
        yield
    finally:
        if saved is not None:
            signal.signal(signal.SIGTERM, saved)


@contextlib.contextmanager
def signals_held() -> Iterator[list[str]]:
    """Hold SIGINT/SIGTERM while rolling back (the run is already ending), then restore; the
    names of the signals that arrived meanwhile are in the list yielded."""
    held: list[str] = []
    if threading.current_thread() is not threading.main_thread():
        yield held  # signals only reach the main thread: nothing to hold
        return

    def remember(signum: int, _frame: object) -> None:
        held.append(signal.Signals(signum).name)

    saved = {sig: signal.signal(sig, remember) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield held
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def finish(timeline: Timeline, scenario: Scenario, run_dir: Path, status: str, reason: str) -> int:
    found = (
        checks(timeline.events, scenario.expect, scenario.time_scale) if status != "error" else []
    )
    for check in found:
        timeline.add(check)
    code = exit_code(found, timeline.events, status == "interrupted")
    if status == "error" or code == ExitCode.HARNESS_ERROR:
        code, status = ExitCode.HARNESS_ERROR, "error"
        reason = reason or _why([], timeline)
    elif status == "passed" and code != ExitCode.OK:
        status = "failed"
        reason = reason or _why(found, timeline)
    STATUS.end()  # the live line stays on screen; what follows starts below it
    timeline.add(RunEnded(status=status, exit_code=int(code), reason=reason))
    timeline.close()
    events = read_timeline(timeline.path)
    data = write_outputs(run_dir, events)
    try:
        from harness.report import HTML, write_postmortem  # matplotlib loads only when drawing

        write_postmortem(run_dir, events)
        data["postmortem"] = str(run_dir / HTML)
    except Exception as exc:  # a chart that cannot be drawn must not lose the run
        print(f"harness: post-mortem not written: {exc!r} (retry: harness report {run_dir})")
    print(render(data), flush=True)
    return int(code)


def _why(found: list, timeline: Timeline) -> str:
    failed = [c.name for c in found if not c.passed]
    if failed:
        return "expectation failed: " + ", ".join(failed)
    return "the order accounting does not add up (see the accounting event)"

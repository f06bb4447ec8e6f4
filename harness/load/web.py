"""`harness load SCENARIO --web`: Locust's own web UI (bound to 127.0.0.1) driving the diners
against one configuration (healthy, or a degradation's fault armed), until Ctrl-C or SIGTERM;
then the fault is cleared and every process stopped. People start, resize and stop the load in
the UI; the ramp and the capacity table are the headless run's."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from harness.errors import ExitCode, ServerError, UsageError
from harness.load.config import HEALTHY, armed
from harness.load.ramp import Progress, start_stack, stderr, traffic_config
from harness.load.run import select
from harness.netutil import free_port
from harness.procs import ManagedProcess, ProcessGroup
from harness.runner import run_dir_for, signals_held
from harness.runner.stack import FactoryControl, Stack
from harness.scenario import load_scenario

WEB_RUN_S = 3600.0
"""The bound of a web session: the diners stop an hour after the UI started them."""


def run_web(
    path: Path,
    *,
    only: list[str] | None = None,
    max_diners: int | None = None,
    port: int | None = None,
    report_dir: Path = Path("reports"),
    progress: Progress = stderr,
) -> int:
    scenario = load_scenario(path)
    load = scenario.load.model_copy(update={"processes": 1})  # Locust's UI runs in one process
    chosen = select(load, only or [HEALTHY])
    if len(chosen) != 1:
        raise UsageError("--web runs one configuration", fix="give --only NAME once")
    ((name, degradation),) = chosen.items()
    diners = max_diners or load.steps.max
    named = scenario.model_copy(update={"name": f"{scenario.name}-load-web-{name}"})
    run_dir = run_dir_for(report_dir.resolve(), named)
    group, stack, traffic = ProcessGroup(), None, None
    code = ExitCode.OK
    try:
        stack = start_stack(group, run_dir, load, scenario.seed, scenario.report_field)
        if degradation is not None:
            FactoryControl(stack).arm_fault(armed(name, degradation))
        traffic = _start_ui(group, stack, load, diners, port or free_port(), scenario.seed)
        fault = "none" if degradation is None else degradation.describe()
        print(
            f"harness load --web: Locust web UI at {traffic.health_url} ({name}, fault {fault}; "
            f"service {stack.service_url}; up to {diners} diners prefilled). Ctrl-C stops.",
            flush=True,
        )
        deadline = time.monotonic() + WEB_RUN_S + 120
        while traffic.alive() and time.monotonic() < deadline:
            time.sleep(0.5)
        if not traffic.alive() and traffic.proc is not None and traffic.proc.returncode:
            code = ExitCode.HARNESS_ERROR
            progress(f"harness load --web: the diners exited ({run_dir / 'traffic.log'})")
    except KeyboardInterrupt:
        progress("harness load --web: stopping: fault cleared, every process stopped")
    finally:
        with signals_held():
            try:
                if stack is not None:
                    FactoryControl(stack).clear_faults()
                if traffic is not None:
                    traffic.stop(grace_s=60)
            finally:
                group.stop()
    print(f"harness load --web: Locust's report in {run_dir / 'locust.html'}", flush=True)
    return int(code)


def _start_ui(
    group: ProcessGroup, stack: Stack, load: object, diners: int, port: int, seed: int
) -> ManagedProcess:
    from harness.load.config import Load

    assert isinstance(load, Load)
    config = traffic_config(stack, load, None, diners=diners, run_time_s=WEB_RUN_S, seed=seed)
    path = config.write(stack.run_dir / "traffic.json")
    url = f"http://127.0.0.1:{port}/"
    argv = [sys.executable, "-m", "harness.traffic", str(path), "--web-port", str(port)]
    process = ManagedProcess("traffic", argv, url, stack.run_dir / "traffic.log")
    try:
        group.start(process, timeout_s=60)
    except ServerError as exc:
        raise ServerError(f"{exc.message}\n{process.log_tail()}", fix=exc.fix) from None
    return process

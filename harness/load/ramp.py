"""One configuration of a load test: a fresh factory and service, the configuration's fault armed
through the factory's /admin control plane, the stepped diners, each step judged as it ends, and
the ramp stopped at its breaking point. Fault cleared and every process stopped on every path."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, ServerError
from harness.factory.faults import FaultSpec
from harness.load.config import Load, armed
from harness.load.live import Live, step_line
from harness.load.measure import EventsReader, StepResult, measure_steps
from harness.procs import ManagedProcess, ProcessGroup
from harness.runner import signals_held
from harness.runner.stack import FactoryControl, Stack, start_servers, traffic_process
from harness.traffic.config import TrafficConfig
from harness.traffic.steps import StepPlan

POLL_S = 0.25
WRITE_LAG_S = 0.3
"""A step is judged this long after its window ended: answers that ended in it are written."""
STARTUP_S = 45.0
"""How long Locust may take to import, start and spawn before the ramp's own time counts."""
ORDERS_PER_S_BOUND = 5000
"""The diners' order budget per second of ramp: a bound in count beside the bound in time."""

Progress = Callable[[str], None]


def stderr(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@dataclass
class ConfigResult:
    name: str
    degradation: FaultSpec | None
    folder: Path
    steps: list[StepResult] = field(default_factory=list)
    status: str = "not run"  # broke | held | error | interrupted
    detail: str = ""

    @property
    def breaking(self) -> StepResult | None:
        return next((s for s in self.steps if not s.held), None)

    @property
    def best(self) -> StepResult | None:
        """The held step with the most good orders per second: the capacity."""
        held = [s for s in self.steps if s.held]
        return max(held, key=lambda s: s.good_per_s) if held else None

    @property
    def capacity(self) -> float:
        best = self.best
        return best.good_per_s if best else 0.0

    def fault_text(self) -> str:
        return "none" if self.degradation is None else self.degradation.describe()

    def to_json(self) -> dict[str, Any]:
        best, breaking = self.best, self.breaking
        return {
            "name": self.name,
            "fault": None
            if self.degradation is None
            else armed(self.name, self.degradation).wire(),
            "status": self.status,
            "detail": self.detail,
            "capacity_orders_per_s": self.capacity,
            "capacity_diners": best.diners if best else None,
            "breaking_point": None
            if breaking is None
            else {"step": breaking.index, "diners": breaking.diners, "why": breaking.broken},
            "folder": str(self.folder),
            "steps": [s.to_json() for s in self.steps],
        }


def traffic_config(
    stack: Stack, load: Load, plan: StepPlan | None, *, diners: int, run_time_s: float, seed: int
) -> TrafficConfig:
    """Diners who only order (the capacity of `POST /api/order`), loopback only."""
    return TrafficConfig(
        service_url=stack.service_url,
        jwks_url=f"{stack.factory_url}/.well-known/jwks.json",
        events_path=stack.traffic_events,
        summary_path=stack.traffic_summary,
        locust_prefix=stack.run_dir / "locust",
        diners=diners,
        spawn_rate=plan.rate() if plan else min(100.0, float(diners)),
        run_time_s=run_time_s,
        think_time_s=load.think_time,
        order_timeout_s=load.order_timeout,
        request_timeout_s=max(5.0, load.order_timeout),
        slow_after_s=load.order_timeout,  # the p95 expectation judges latency, not `slow`
        journey={"order": 1, "history": 0, "menu": 0},
        steady_start=True,
        new_diners=True,
        pizzas_per_order=load.pizzas,
        processes=load.processes,
        seed=seed,
        max_orders=math.ceil(run_time_s * ORDERS_PER_S_BOUND),
        steps=plan,
    )


def start_stack(group: ProcessGroup, folder: Path, load: Load, seed: int, field: str) -> Stack:
    return start_servers(
        group,
        folder,
        seed=seed,
        report_field=field,
        factory_workers=load.factory_workers,
        quiet_logs=True,  # the service logs only its factory calls, as in the bench
    )


def roots(group: ProcessGroup) -> dict[str, int]:
    """The pid of each part's first process (the diners: the traffic supervisor)."""
    parts = {"traffic": "diners", "service": "service", "factory": "factory"}
    return {
        parts[m.name]: m.proc.pid for m in group.members if m.name in parts and m.proc is not None
    }


class Ramp:
    """Runs one configuration; `result` holds what was measured, also after an interruption."""

    def __init__(
        self,
        name: str,
        degradation: FaultSpec | None,
        load: Load,
        plan: StepPlan,
        folder: Path,
        *,
        seed: int = 1,
        report_field: str = "followLinkToEndChaos",
        progress: Progress = stderr,
    ) -> None:
        self.load, self.plan, self.seed, self.field = load, plan, seed, report_field
        self.progress = progress
        self.result = ConfigResult(name, degradation, folder)
        self.on_servers: Callable[[Stack, ProcessGroup], None] | None = None
        self.live: Live | None = None
        self.group = ProcessGroup()

    def run(self) -> ConfigResult:
        result, group = self.result, ProcessGroup()
        self.group = group
        result.folder.mkdir(parents=True, exist_ok=True)
        stack: Stack | None = None
        traffic: ManagedProcess | None = None
        until: float | None = None
        self.progress(f"load {result.name}: fault {result.fault_text()}, {self._plan_text()}")
        try:
            stack = start_stack(group, result.folder, self.load, self.seed, self.field)
            if result.degradation is not None:
                FactoryControl(stack).arm_fault(armed(result.name, result.degradation))
            traffic = self._start_traffic(group, stack)
            if self.on_servers is not None:
                self.on_servers(stack, group)
            until = self._watch(traffic, stack)
        except KeyboardInterrupt:
            result.status, result.detail = "interrupted", "interrupted by a signal"
            raise
        except HarnessError as exc:
            result.status, result.detail = "error", str(exc)
            raise
        except Exception as exc:
            result.status, result.detail = "error", f"{type(exc).__name__}: {exc}"
            raise
        finally:
            with signals_held():
                self._rollback(group, stack, traffic, until)
        return result

    def _plan_text(self) -> str:
        p = self.plan
        return f"{p.count} steps of {p.step_s:g} s, {p.start} to {p.max} diners by {p.step}"

    def _start_traffic(self, group: ProcessGroup, stack: Stack) -> ManagedProcess:
        config = traffic_config(
            stack,
            self.load,
            self.plan,
            diners=self.plan.max,
            run_time_s=self.plan.duration_s + 5,
            seed=self.seed,
        )
        self.grace_s = 2 * config.shutdown_grace_s + 5
        return group.start(traffic_process(stack, config))

    def _watch(self, traffic: ManagedProcess, stack: Stack) -> float | None:
        """Judge each step as it ends; return when the ramp broke (the wall time it was seen) or
        the diners ended (None)."""
        reader, judged = EventsReader(stack.traffic_events), 0
        self.live = Live(self.result.name, self.plan, roots(self.group), self.progress)
        deadline = time.monotonic() + STARTUP_S + self.plan.duration_s + 15
        expect = self.load.expect
        while True:
            alive = traffic.alive()
            reader.poll()
            now = time.time()
            self.live.tick(reader, now)
            steps = measure_steps(
                reader.orders,
                reader.marks,
                self.plan.step_s,
                expect,
                until=now - WRITE_LAG_S,
                spawn_s=self.plan.spawn_s(),
            )
            self.live.attach(steps)
            for step in steps[judged:]:
                self.progress(step_line(self.result.name, self.plan, step))
            judged = len(steps)
            self.result.steps = steps
            if any(not s.held for s in steps):
                return now
            if not alive:
                return None
            if time.monotonic() > deadline:
                raise ServerError(
                    f"the {self.result.name} ramp did not end within its time bound",
                    fix=f"see {stack.run_dir / 'traffic.log'}",
                )
            time.sleep(POLL_S)

    def _rollback(
        self,
        group: ProcessGroup,
        stack: Stack | None,
        traffic: ManagedProcess | None,
        until: float | None,
    ) -> None:
        result = self.result
        try:
            if stack is not None:
                FactoryControl(stack).clear_faults()  # first: no fault outlives the ramp
            rc = None
            if traffic is not None:
                stopped_at = time.time()
                rc = traffic.stop(grace_s=getattr(self, "grace_s", 30.0))
                until = until or stopped_at
            if stack is not None and result.status not in ("interrupted", "error"):
                self._final(stack, until or time.time(), rc)
        finally:
            group.stop()

    def _final(self, stack: Stack, until: float, rc: int | None) -> None:
        """The steps again from the whole events file, up to the breaking point."""
        result = self.result
        reader = EventsReader(stack.traffic_events)
        reader.poll()
        steps = measure_steps(
            reader.orders,
            reader.marks,
            self.plan.step_s,
            self.load.expect,
            until=until,
            spawn_s=self.plan.spawn_s(),
        )
        if self.live is not None:
            self.live.attach(steps)
        broken = next((i for i, s in enumerate(steps) if not s.held), None)
        result.steps = steps if broken is None else steps[: broken + 1]
        if rc not in (0, None):
            result.status = "error"
            result.detail = (
                f"the diners' process exited with code {rc}: the order accounting does not add "
                f"up or Locust failed (see {stack.run_dir / 'traffic.log'})"
            )
        elif not result.steps:
            result.status, result.detail = "error", "no step was measured"
        elif result.breaking is not None:
            step = result.breaking
            result.status = "broke"
            result.detail = f"broke at step {step.index + 1} ({step.diners} diners): {step.broken}"
        else:
            result.status = "held"
            done = len(result.steps)
            result.detail = f"held every step up to {result.steps[-1].diners} diners" + (
                f" ({done} of {self.plan.count} steps: the diners stopped early, see "
                f"{stack.run_dir / 'traffic.log'})"
                if done < self.plan.count
                else ""
            )
        self.progress(f"load {result.name}: {result.detail}")

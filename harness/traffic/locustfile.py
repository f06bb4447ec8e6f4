"""Locust's entry point for the traffic process: `python -m harness.traffic` runs
`python -m locust -f <this file>` with the config's path in $HARNESS_TRAFFIC_CONFIG. It reads the
config, registers the run's listeners, and gives Locust the diner class and (with `steps`) the
step ramp's load shape.

Imports locust: never import this module from anywhere else.
"""

from __future__ import annotations

import logging
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import gevent
from locust import LoadTestShape, between, events
from locust.env import Environment

from harness.errors import ConfigError
from harness.traffic.config import CONFIG_ENV, STOP_SIGNAL, TrafficConfig
from harness.traffic.diner import Diner
from harness.traffic.ledger import Ledger
from harness.traffic.limits import raise_open_files
from harness.traffic.process import TrafficRun
from harness.traffic.steps import StepPlan
from harness.traffic.tally import ROLE_ENV

log = logging.getLogger("harness.traffic")


def setup(config_path: Path) -> type[Diner]:
    """Read the config, open the ledger, register the listeners, and make the Diner class."""
    config = TrafficConfig.load(config_path)
    random.seed(config.seed)
    sockets = 1 if config.journey.history == config.journey.menu == 0 else 2
    limit = raise_open_files(config.diners, sockets)
    log.log(logging.INFO if limit.enough else logging.WARNING, "traffic: %s", limit.describe())
    run = TrafficRun(config, role=os.environ.get(ROLE_ENV, "local"))
    events.test_start.add_listener(run.on_test_start)
    events.quitting.add_listener(run.on_quitting)

    @events.init.add_listener
    def _remember(environment: Environment, **_: Any) -> None:
        run.environment = environment
        if run.role != "local":
            from harness.traffic.distributed import attach

            attach(run, environment)

    gevent.signal_handler(STOP_SIGNAL, run.request_stop, "signal")
    weights = {
        task: weight
        for task, weight in (
            (Diner.order, config.journey.order),
            (Diner.history, config.journey.history),
            (Diner.menu, config.journey.menu),
        )
        if weight > 0
    }
    return type(
        "PizzaDiner",
        (Diner,),
        {
            "abstract": False,
            "traffic": run,
            "host": config.service_url,
            "network_timeout": config.request_timeout_s,
            "connection_timeout": config.request_timeout_s,
            "wait_time": between(*config.think_time_s),
            "tasks": weights,
        },
    )


def step_shape(run: TrafficRun) -> type[LoadTestShape] | None:
    """The Locust load shape of the config's `steps` (None without steps): it wraps the pure
    `StepPlan.tick` and writes a step mark `{"kind": "step", "index", "diners", "t"}` into the
    events file each time the ramp moves on, so the reader knows what each order ran under."""
    if run.config.steps is None:
        return None
    plan: StepPlan = run.config.steps

    class StepRamp(LoadTestShape):
        def __init__(self) -> None:
            super().__init__()
            self.marked = -1
            self.last: tuple[int, float] | None = None

        def tick(self) -> tuple[int, float] | None:
            t = self.get_run_time()
            step = plan.at(t)
            if step is not None and step.index != self.marked:
                self.marked = step.index
                assert isinstance(run.ledger, Ledger)  # the shape ticks where the ledger is
                run.ledger.note("step", index=step.index, diners=step.diners, t=time.time())
            now = None if run.stop_reason is not None else plan.tick(t)
            if now is None and run.side is not None:
                # A shape's None makes Locust's master quit at once: its workers get 0.5 s
                # and their last orders are lost. The master's own two-step stop ends it.
                run.request_stop(run.stop_reason or "steps_done")
                return self.last
            self.last = now
            return now  # None: stopped (run time, signal, budget) or done, the ramp ends

    return StepRamp


if CONFIG_ENV not in os.environ:
    sys.exit(f"traffic: ${CONFIG_ENV} is not set (start traffic with python -m harness.traffic)")
try:
    PizzaDiner = setup(Path(os.environ[CONFIG_ENV]))
except ConfigError as exc:
    sys.exit(f"traffic: {exc}")
StepRamp = step_shape(PizzaDiner.traffic)  # Locust runs a shape class it finds here
if StepRamp is None:
    del StepRamp

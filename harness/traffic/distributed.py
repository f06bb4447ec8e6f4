"""The Locust side of a traffic run over several processes: how the master and each worker hook
into `TrafficRun` (order messages, the two-step stop, the final counts). tally.py holds the
message contract and the counting, which the tests exercise without locust.

IMPORTS LOCUST: only locustfile.py imports this module (for `$HARNESS_TRAFFIC_ROLE` master or
worker).

The stop, started by the run-time limit, the order budget, the supervisor's graceful-stop signal
or a bare SIGTERM to the master:
    1. the master sends `harness_stop` to every worker (not Locust's own `stop`, whose handler
       blocks the worker's message loop for stop_timeout, nor `quit`, after which the master
       waits only 0.5 s for the workers and would lose the orders in flight);
    2. each worker stops its diners (in-flight attempts finish within stop_timeout or are
       recorded as killed), flushes its Locust stats and sends `harness_done`;
    3. the master waits for every live worker's done (bounded by the stop grace), then calls
       `runner.quit()`, writes the summary with the per-worker counts, and exits.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
from typing import TYPE_CHECKING, Any

import gevent
from gevent.event import Event
from locust.env import Environment
from locust.rpc.protocol import Message
from locust.runners import (
    STATE_CLEANUP,
    STATE_MISSING,
    STATE_STOPPED,
    STATE_STOPPING,
    MasterRunner,
    WorkerRunner,
)

from harness.traffic.tally import (
    DONE,
    HELLO,
    ORDER,
    STOP,
    WorkerLedger,
    WorkerTally,
    budget_share,
    config_digest,
)

if TYPE_CHECKING:
    from harness.traffic.process import TrafficRun

log = logging.getLogger("harness.traffic")
DONE_MARGIN_S = 5.0
"""How long past the stop grace the master waits for a worker's final count."""


def attach(run: TrafficRun, environment: Environment) -> None:
    """Give `run` its master or worker side (called from Locust's init event)."""
    runner = environment.runner
    if isinstance(runner, MasterRunner):
        run.side = MasterSide(run, environment, runner)
    elif isinstance(runner, WorkerRunner):
        run.side = WorkerSide(run, environment, runner)
    else:
        raise RuntimeError(f"traffic role {run.role!r} but Locust runs a {type(runner).__name__}")
    # quitting fires in reverse order: registered after the runner's own listener, ours runs
    # first, while the master can still receive its workers' last orders.
    environment.events.quitting.remove_listener(run.on_quitting)
    environment.events.quitting.add_listener(run.on_quitting)


class MasterSide:
    """The master: records its workers' attempts in the one Ledger and stops them in two steps."""

    writes_summary = True
    times_run = True

    def __init__(self, run: TrafficRun, environment: Environment, runner: MasterRunner) -> None:
        self.run, self.environment, self.runner = run, environment, runner
        self.tally = WorkerTally(config_digest(run.config.fingerprint_json()))
        self._stopping = False
        self._stopped = Event()
        runner.register_message(HELLO, self._on_hello)
        runner.register_message(ORDER, self._on_order)
        runner.register_message(DONE, self._on_done)

    # Messages (run in the master's receive loop, in arrival order) ----------------------------

    def _on_hello(self, msg: Message, **_: Any) -> None:
        self.tally.hello(msg.node_id, msg.data)
        log.info("worker %s started: %s", msg.node_id, msg.data)

    def _on_order(self, msg: Message, **_: Any) -> None:
        taken = self.tally.order(msg.node_id, msg.data)
        if taken is None:
            log.error("order message from %s not counted: %.200r", msg.node_id, msg.data)
            return
        event, seen = taken
        ledger = self.run.ledger
        ledger.take(event, seen_by_locust=seen)  # type: ignore[union-attr]
        if ledger.attempts >= self.run.config.order_budget:
            self.run.request_stop("max_orders")

    def _on_done(self, msg: Message, **_: Any) -> None:
        self.tally.done(msg.node_id, msg.data)
        log.info("worker %s stopped: %s", msg.node_id, msg.data)

    # The stop -----------------------------------------------------------------------------------

    def ends_run(self, reason: str) -> bool:
        return True

    def end_run(self) -> None:
        self.stop_workers()
        self.runner.quit()

    def stop_workers(self) -> None:
        """Ask every worker to stop and wait for each live one's final count."""
        grace = self.run.config.stop_grace_s + DONE_MARGIN_S
        if self._stopping:
            self._stopped.wait(grace)
            return
        self._stopping = True
        try:
            self.runner.send_message(STOP, {"reason": self.run.stop_reason or "stop"})
            deadline = time.monotonic() + grace
            while self._waiting() and time.monotonic() < deadline:
                gevent.sleep(0.05)
            if self._waiting():
                log.error("no final count from workers %s", self._waiting())
        finally:
            self._stopped.set()

    def _waiting(self) -> list[str]:
        """Live workers whose final count has not arrived (a dead one goes missing within
        Locust's heartbeat timeout, ~3 s, and is then reported, not waited for)."""
        return [
            node.id
            for node in self.runner.clients.all
            if node.state != STATE_MISSING and not self.tally.is_done(node.id)
        ]

    def on_test_start(self, environment: Environment) -> None:
        """Nothing to prepare: the workers split the budget themselves."""

    def stop_for_quit(self, environment: Environment) -> bool:
        """At quitting: make sure the workers were stopped; True when it happened only now."""
        direct = not self._stopping
        if direct:
            self.run.stop_reason = self.run.stop_reason or "sigterm"
        self.stop_workers()
        return direct

    def summary_extra(self) -> dict[str, Any]:
        return {"workers": self.tally.summary()}


class WorkerSide:
    """A worker: its diners' attempts go to the master; it stops when the master says so."""

    writes_summary = False
    times_run = False  # the master times the run

    def __init__(self, run: TrafficRun, environment: Environment, runner: WorkerRunner) -> None:
        self.run, self.environment, self.runner = run, environment, runner
        self.ledger: WorkerLedger = run.ledger  # type: ignore[assignment]
        self.ledger.send = runner.send_message
        self.index = max(runner.worker_index, 0)
        self._done_sent = False
        runner.register_message(STOP, self._on_stop, concurrent=True)
        environment.events.test_stopping.add_listener(self._on_test_stopping)
        environment.events.test_stop.add_listener(self._on_test_stop)

    def on_test_start(self, environment: Environment) -> None:
        """Before any diner starts: this worker's diner numbers, budget share and seed."""
        cfg = self.run.config
        self.index = max(self.runner.worker_index, 0)
        workers = int(getattr(environment.parsed_options, "expect_workers", 1) or 1)
        self.run.workers, self.run.worker_index = workers, self.index
        self.ledger.share = budget_share(cfg.order_budget, workers, self.index)
        random.seed(f"{cfg.seed}:worker:{self.index}")
        if self.index >= workers:
            log.warning("worker %d of %d expected: it gets no order budget", self.index, workers)
        self.runner.send_message(
            HELLO,
            {
                "index": self.index,
                "digest": config_digest(cfg.fingerprint_json()),
                "share": self.ledger.share,
                "pid": os.getpid(),
                "host": socket.gethostname(),
            },
        )

    def ends_run(self, reason: str) -> bool:
        """Its share spent, a worker only stops ordering; anything else makes it leave."""
        return reason != "max_orders"

    def end_run(self) -> None:
        """Leave on our own (signal, supervisor gone): stop the diners, report, quit."""
        self.runner.stop()
        self._send_done()
        self.runner.quit()

    def _on_stop(self, msg: Message, **_: Any) -> None:
        self.run.stop_reason = self.run.stop_reason or str((msg.data or {}).get("reason"))
        self.runner.stop()
        self._send_done()

    def _on_test_stopping(self, **_: Any) -> None:
        # however the stop came, a diner that wakes up now must not start an order
        self.run.stop_reason = self.run.stop_reason or "stopped"

    def _on_test_stop(self, **_: Any) -> None:
        self._send_done()

    def _send_done(self) -> None:
        """Once, after the diners stopped: flush Locust's stats, then the final count."""
        if self._done_sent:
            return
        self._done_sent = True
        stats: dict[str, Any] = {}
        self.environment.events.report_to_master.fire(client_id=self.runner.client_id, data=stats)
        self.runner.send_message("stats", stats)
        self.runner.send_message(DONE, self.ledger.final_count(self.index))

    def stop_for_quit(self, environment: Environment) -> bool:
        """At quitting (the master's quit, or a bare SIGTERM): stop the diners if still running."""
        deadline = time.monotonic() + self.run.config.shutdown_grace_s
        if self.runner.state not in (STATE_STOPPED, STATE_CLEANUP, STATE_STOPPING):
            self.run.stop_reason = self.run.stop_reason or "sigterm"
            self.runner.stop()
        while self.runner.state != STATE_STOPPED and time.monotonic() < deadline:
            gevent.sleep(0.05)
        self._send_done()
        return False

    def summary_extra(self) -> dict[str, Any]:
        return {}

"""The run's process-wide state on the Locust side (`TrafficRun`): the ledger, the stop control
(run time, order budget, signal, supervisor gone) and the run's end (stop every diner, write the
summary). With several processes ($HARNESS_TRAFFIC_ROLE master or worker) distributed.py holds the
hooks (`TrafficRun.side`).

IMPORTS LOCUST: only the traffic process may import this module, through locustfile.py.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from pathlib import Path
from typing import Any

import gevent
from faker import Faker
from gevent.event import Event
from locust import log as locust_log
from locust.env import Environment
from locust.runners import STATE_CLEANUP, STATE_STOPPED, STATE_STOPPING

from harness.traffic.config import TrafficConfig
from harness.traffic.jwks import JwksCache
from harness.traffic.ledger import Ledger, write_json_atomic
from harness.traffic.tally import WorkerLedger, diner_number

log = logging.getLogger("harness.traffic")

ORDER_NAME = "POST /api/order"


class TrafficRun:
    """What the diners of one process share: config, ledger, JWKS cache, stop control, and the
    run's end (summary)."""

    def __init__(self, config: TrafficConfig, *, role: str = "local") -> None:
        self.config = config
        self.role = role
        self.ledger: Ledger | WorkerLedger = (
            WorkerLedger() if role == "worker" else Ledger(config.events_path, config.order_budget)
        )
        self.side: Any = None  # distributed.MasterSide or WorkerSide; None in one process
        self.workers, self.worker_index = 1, 0
        self.diner_numbers = itertools.count()
        self.faker = Faker("en_US")
        self.environment: Environment | None = None
        self.started: float | None = None
        self.stop_reason: str | None = None
        self._quit_spawned = False
        self.jwks = JwksCache(config.jwks_url)
        self.menu: list[dict[str, Any]] = []  # the first menu a diner read (new_diners reuse it)
        self._finished = Event()
        self._finishing = False
        self._parent = os.getppid()

    def next_diner_number(self) -> int:
        """Unique across the run's workers (tally.diner_number)."""
        return diner_number(next(self.diner_numbers), self.workers, self.worker_index)

    # Stop control -------------------------------------------------------------------------------

    def request_stop(self, reason: str) -> None:
        """Stop the run the way the run-time limit does; safe to call from anywhere, repeatedly."""
        if self.stop_reason is None:
            self.stop_reason = reason
            log.info("stopping traffic: %s", reason)
        if self.side is not None and not self.side.ends_run(reason):
            return  # a worker whose budget share is spent only stops ordering
        env = self.environment
        runner = env.runner if env is not None else None
        if runner is None or self._quit_spawned:
            return  # test_start will see stop_reason
        if self.started is None and getattr(env, "web_ui", None) is None:
            return  # headless: test_start comes next and sees stop_reason
        # (with the web UI nobody may ever press start: quit now)
        self._quit_spawned = True
        if self.side is not None:
            gevent.spawn(self.side.end_run)
        else:
            gevent.spawn(self._quit, runner, getattr(env, "web_ui", None))

    @staticmethod
    def _quit(runner: Any, web_ui: Any) -> None:
        """Stop the diners; with the web UI, stop it too (Locust's main waits on the UI)."""
        runner.quit()
        if web_ui is not None:
            web_ui.stop()

    def on_test_start(self, environment: Environment, **_: Any) -> None:
        if self.started is not None:
            return
        self.started = time.time()
        if self.side is not None:
            self.side.on_test_start(environment)
        if self.side is None or self.side.times_run:
            log.info(
                "harness.traffic stops this run after %g s or %d order attempts",
                self.config.run_time_s,
                self.config.order_budget,
            )
            gevent.spawn_later(self.config.run_time_s, self.request_stop, "run_time")
        gevent.spawn(self._watch_parent)
        if self.stop_reason is not None:
            self.request_stop(self.stop_reason)

    def _watch_parent(self) -> None:
        """The supervisor died (SIGKILL): stop rather than load the service unsupervised."""
        while os.getppid() == self._parent:
            gevent.sleep(0.5)
        self.request_stop("supervisor_gone")

    # The end ------------------------------------------------------------------------------------

    def on_quitting(self, environment: Environment, **_: Any) -> None:
        """Stop every diner (if Locust got a bare SIGTERM they are still running), then write
        the summary. Exception-safe: the exit code says what happened (pitfall 14)."""
        if self._finishing:
            self._finished.wait(self.config.shutdown_grace_s)
            return
        self._finishing = True
        try:
            if self.side is not None:
                direct_sigterm = self.side.stop_for_quit(environment)
                if not self.side.writes_summary:  # a worker: the master accounts
                    environment.process_exit_code = 0
                    return
            else:
                direct_sigterm = self._stop_diners(environment)
            if direct_sigterm:
                self._write_html(environment)
            summary = self.summary(environment)
            write_json_atomic(self.config.summary_path, summary)
            environment.process_exit_code = 3 if "accounting_error" in summary else 0
        except Exception:
            log.exception("traffic: could not finish the run's accounting")
            environment.process_exit_code = 3
        finally:
            self.ledger.close()
            self._finished.set()

    def _stop_diners(self, environment: Environment) -> bool:
        runner = environment.runner
        if runner is None or runner.state == STATE_STOPPED:
            return False
        if runner.state in (STATE_CLEANUP, STATE_STOPPING):  # a quit() is under way: wait for it
            deadline = time.monotonic() + self.config.shutdown_grace_s
            while runner.state != STATE_STOPPED and time.monotonic() < deadline:
                gevent.sleep(0.05)
            return False
        self.stop_reason = self.stop_reason or "sigterm"
        runner.stop()
        return True

    def _write_html(self, environment: Environment) -> None:
        """Locust saves its HTML report on every path but a bare SIGTERM: save it then."""
        html_file = getattr(environment.parsed_options, "html_file", None)
        if not html_file:
            return
        from locust.html import get_html_report

        Path(html_file).write_text(
            get_html_report(environment, show_download_link=False), encoding="utf-8"
        )

    def summary(self, environment: Environment) -> dict[str, Any]:
        stats = environment.stats
        order = stats.entries.get((ORDER_NAME, "POST"))
        locust = {
            "requests": stats.total.num_requests,
            "failures": stats.total.num_failures,
            "order_requests": order.num_requests if order else 0,
            "order_failures": order.num_failures if order else 0,
        }
        runner = environment.runner
        crashes = sum(row["count"] for row in runner.exceptions.values()) if runner else 0
        if locust_log.unhandled_greenlet_exception:
            crashes = max(crashes, 1)
        assert isinstance(self.ledger, Ledger)
        return self.ledger.summary(
            locust,
            diner_crashes=crashes,
            diners=self.config.diners,
            started=self.started,
            ended=time.time(),
            stopped_by=self.stop_reason or "locust",
            **(self.side.summary_extra() if self.side is not None else {}),
        )

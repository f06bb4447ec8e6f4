"""The Locust side of traffic: diners (FastHttpUser) and the run's process-wide state.

IMPORTS LOCUST (which monkey-patches the process with gevent): only the traffic process may import
this module, through locustfile.py. Everything it decides is delegated to locust-free modules
(outcomes, pizza, ledger) that the tests exercise directly.

A diner, made with Faker from (seed, diner index) so runs repeat:
    on_start   log in (PUT /api/auth), or register (POST /api/auth) when the email is unknown;
               read the menu; make sure the factory's JWKS is cached (once per process)
    tasks      order 1-3 pizzas / read the order history / read the menu, weighted by `journey`,
               with think time between them
    on_stop    log out (DELETE /api/auth)

Every order attempt is classified exactly once and written to the events file, including the
ones Locust never reports (a diner killed while waiting for its answer). With several processes
($HARNESS_TRAFFIC_ROLE master or worker) a worker sends each attempt to the master, which alone
writes the file; distributed.py holds those hooks (`TrafficRun.side`).
"""

from __future__ import annotations

import itertools
import logging
import os
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

import gevent
from faker import Faker
from gevent import GreenletExit
from gevent.event import Event
from gevent.lock import Semaphore
from locust import FastHttpUser, LoadTestShape, between, events
from locust import log as locust_log
from locust.contrib.fasthttp import FastHttpSession, LocustBadStatusCode
from locust.env import Environment
from locust.exception import StopUser
from locust.runners import STATE_CLEANUP, STATE_STOPPED, STATE_STOPPING

from harness.traffic.config import STOP_SIGNAL, TrafficConfig
from harness.traffic.events import OrderEvent
from harness.traffic.ledger import Ledger, write_json_atomic
from harness.traffic.outcomes import Verdict, classify, describe, short
from harness.traffic.pizza import PizzaCheck, PizzaVerifier
from harness.traffic.steps import StepPlan
from harness.traffic.tally import ROLE_ENV, WorkerLedger, diner_number

log = logging.getLogger("harness.traffic")

ORDER_NAME = "POST /api/order"
NAMES = {
    "login": "PUT /api/auth (login)",
    "register": "POST /api/auth (register)",
    "logout": "DELETE /api/auth (logout)",
    "menu": "GET /api/order/menu",
    "history": "GET /api/order (history)",
    "jwks": "GET factory /.well-known/jwks.json",
}
JWKS_REFRESH_S = 2.0


class TrafficRun:
    """What the diners of one process share: config, ledger, JWKS cache, stop control."""

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
        self._verifier: PizzaVerifier | None = None
        self._jwks_fetched_at = 0.0
        self._jwks_lock = Semaphore()
        self._finished = Event()
        self._finishing = False
        self._parent = os.getppid()

    def next_diner_number(self) -> int:
        """Unique across the run's workers (tally.diner_number)."""
        return diner_number(next(self.diner_numbers), self.workers, self.worker_index)

    # JWKS ---------------------------------------------------------------------------------------

    def verifier(self, client: FastHttpSession, *, refresh: bool = False) -> PizzaVerifier | None:
        """The factory's keys, fetched once per process (again on `refresh`, at most every 2 s)."""
        with self._jwks_lock:
            stale = refresh and time.monotonic() - self._jwks_fetched_at > JWKS_REFRESH_S
            if self._verifier is None or stale:
                fetched = self._fetch_jwks(client)
                self._verifier = fetched or self._verifier
            return self._verifier

    def _fetch_jwks(self, client: FastHttpSession) -> PizzaVerifier | None:
        self._jwks_fetched_at = time.monotonic()
        with client.get(
            self.config.jwks_url, name=NAMES["jwks"], catch_response=True
        ) as resp:  # an absolute URL: the factory, not the service
            try:
                if resp.status_code != 200:
                    resp.failure(f"HTTP {resp.status_code or 'no answer'}")
                    return None
                verifier = PizzaVerifier(resp.json())
                resp.success()
                return verifier
            except Exception as exc:
                resp.failure(short(f"unusable JWKS: {describe(exc)}"))
                return None

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


class Diner(FastHttpUser):
    """One diner. `setup()` makes the concrete class with the run's settings."""

    abstract = True
    traffic: TrafficRun
    max_retries = 0  # a POST is never sent twice behind our back
    insecure = False  # verify TLS when the service is https (pitfall 8)

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        cfg = self.traffic.config
        self.number = self.traffic.next_diner_number()
        fake = self.traffic.faker
        fake.seed_instance(cfg.seed * 1_000_003 + self.number)
        first, last = fake.first_name(), fake.last_name()
        local = re.sub(r"[^a-z0-9]+", ".", f"{first}.{last}".lower()).strip(".") or "diner"
        self.diner_name = f"{first} {last}"
        self.email = f"{local}.{cfg.seed}-{self.number}@{fake.safe_domain_name()}"
        self.password = fake.password(length=14)
        self.rng = random.Random(f"{cfg.seed}:{self.number}")
        self.token: str | None = None
        self.menu_items: list[dict[str, Any]] = []
        # Orders get their own client: its network timeout is order_timeout_s (pitfall 7).
        self.order_client = FastHttpSession(
            base_url=self.host,
            request_event=environment.events.request,
            user=self,
            network_timeout=cfg.order_timeout_s,
            connection_timeout=cfg.request_timeout_s,
            max_retries=0,
            insecure=self.insecure,
        )

    # Lifecycle ----------------------------------------------------------------------------------

    def on_start(self) -> None:
        if self.traffic.stop_reason is not None:  # spawned after the run began to stop
            raise StopUser()
        self._authenticate()
        self._read_menu()
        self.traffic.verifier(self.client)

    def on_stop(self) -> None:
        if self.token:
            self._call("DELETE", "/api/auth", NAMES["logout"], auth=True)
            self.token = None

    # Tasks (weights are set by setup()) -------------------------------------------------------

    def order(self) -> None:
        # Locust kills a thinking diner asynchronously: one that wakes up meanwhile would start
        # an order only to be killed in flight. Once the run is stopping, start nothing new.
        if self.traffic.stop_reason is not None:
            raise StopUser()
        if not self._ready():
            return
        ledger = self.traffic.ledger
        if not ledger.reserve():
            self.traffic.request_stop("max_orders")
            raise StopUser()
        cfg = self.traffic.config
        count = self.rng.randint(*cfg.pizzas_per_order)
        items = [self._item(self.rng.choice(self.menu_items)) for _ in range(count)]
        body = {"franchiseId": cfg.franchise_id, "storeId": cfg.store_id, "items": items}
        sent_at = time.time()
        event: OrderEvent | None = None
        answer: Any = None
        seen = False
        try:
            with self.order_client.post(
                "/api/order",
                json=body,
                headers=self._auth(),
                name=ORDER_NAME,
                catch_response=True,
            ) as resp:
                answer = resp
                verdict = self._judge(resp)
                if verdict.success:
                    resp.success()
                else:
                    resp.failure(verdict.detail or verdict.outcome)
                seen = True
                event = self._event(resp.request_meta, resp.status_code, verdict)
        finally:
            if event is None:  # killed at the stop timeout, or interrupted before the verdict
                why = sys.exc_info()[1]
                status = getattr(answer, "status_code", 0) or None
                detail = (
                    "killed in flight at the stop timeout"
                    if isinstance(why, GreenletExit)
                    else "stopped before the attempt was judged"
                )
                event = OrderEvent(
                    diner=self.email,
                    start=sent_at,
                    end=time.time(),
                    outcome="error",
                    status=status,
                    detail=short(
                        f"{detail}: {describe(why)}"
                        if why and not isinstance(why, GreenletExit)
                        else detail
                    ),
                )
            ledger.record(event, seen_by_locust=seen)

    def history(self) -> None:
        if self._ready(menu=False):
            self._call("GET", "/api/order?page=1", NAMES["history"], auth=True)

    def menu(self) -> None:
        self._read_menu()

    # Helpers ------------------------------------------------------------------------------------

    def _judge(self, resp: Any) -> Verdict:
        status = int(resp.status_code or 0)
        meta = resp.request_meta
        error: BaseException | None = None
        body: bytes | None = None
        if not status:
            error = getattr(resp, "error", None) or meta.get("exception")
        else:
            failure = meta.get("exception")
            if failure is not None and not isinstance(failure, LocustBadStatusCode):
                error = failure  # the body could not be read (timeout or cut)
            try:
                body = resp.content
            except Exception as exc:
                error = error or exc
        cfg = self.traffic.config
        return classify(
            status=status or None,
            body=body,
            error=error,
            elapsed_s=float(meta.get("response_time") or 0.0) / 1000.0,
            slow_after_s=cfg.slow_after_s,
            verify=self._verify,
            report_fields=cfg.report_fields,
        )

    def _verify(self, token: str) -> PizzaCheck:
        verifier = self.traffic.verifier(self.client)
        if verifier is None:
            return PizzaCheck(None, "the factory's JWKS could not be read")
        check = verifier.check(token)
        if check.unknown_key:  # the factory may have a new key: read the JWKS again
            fresh = self.traffic.verifier(self.client, refresh=True)
            if fresh is not None and fresh is not verifier:
                check = fresh.check(token)
        return check

    def _event(self, meta: dict[str, Any], status: int, verdict: Verdict) -> OrderEvent:
        start = float(meta["start_time"])
        return OrderEvent(
            diner=self.email,
            start=start,
            end=start + float(meta.get("response_time") or 0.0) / 1000.0,
            outcome=verdict.outcome,
            status=status or None,
            report_url=verdict.report_url,
            detail=verdict.detail,
        )

    @staticmethod
    def _item(entry: dict[str, Any]) -> dict[str, Any]:
        return {
            "menuId": entry.get("id"),
            "description": entry.get("title") or entry.get("description"),
            "price": entry.get("price"),
        }

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def _ready(self, *, menu: bool = True) -> bool:
        if not self.token:
            self._authenticate()
        if menu and not self.menu_items:
            self._read_menu()
        return bool(self.token) and (bool(self.menu_items) or not menu)

    def _authenticate(self) -> None:
        status, answer = self._call(
            "PUT",
            "/api/auth",
            NAMES["login"],
            json={"email": self.email, "password": self.password},
            expected=(200, 404),
        )
        if status == 404:  # unknown email: a new diner
            status, answer = self._call(
                "POST",
                "/api/auth",
                NAMES["register"],
                json={"name": self.diner_name, "email": self.email, "password": self.password},
            )
        token = answer.get("token") if isinstance(answer, dict) else None
        self.token = token if status == 200 and isinstance(token, str) else None

    def _read_menu(self) -> None:
        status, answer = self._call("GET", "/api/order/menu", NAMES["menu"])
        if status == 200 and isinstance(answer, list):
            items = [m for m in answer if isinstance(m, dict) and "id" in m]
            self.menu_items = items or self.menu_items

    def _call(
        self,
        method: str,
        path: str,
        name: str,
        *,
        json: Any = None,
        auth: bool = False,
        expected: tuple[int, ...] = (200,),
    ) -> tuple[int, Any]:
        """One non-order request, marked in Locust's stats; never raises for a bad answer."""
        headers = self._auth() if auth else {}
        with self.client.request(
            method, path, name=name, json=json, headers=headers, catch_response=True
        ) as resp:
            status = int(resp.status_code or 0)
            if status not in expected:
                resp.failure(f"HTTP {status}" if status else "no answer")
                return status, None
            try:
                answer = resp.json()
            except Exception:
                resp.failure(f"HTTP {status} but the body is not JSON")
                return status, None
            resp.success()
            return status, answer


def setup(config_path: Path) -> type[Diner]:
    """Read the config, open the ledger, register the listeners, and make the Diner class."""
    config = TrafficConfig.load(config_path)
    random.seed(config.seed)
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

        def tick(self) -> tuple[int, float] | None:
            t = self.get_run_time()
            step = plan.at(t)
            if step is not None and step.index != self.marked:
                self.marked = step.index
                assert isinstance(run.ledger, Ledger)  # steps need processes 1 (TrafficConfig)
                run.ledger.note("step", index=step.index, diners=step.diners, t=time.time())
            if run.stop_reason is not None:
                return None  # stopped (run time, signal, budget): the ramp ends too
            return plan.tick(t)

    return StepRamp

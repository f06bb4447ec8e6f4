"""The Locust side of traffic: the diner (FastHttpUser). process.py holds what diners share.

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

import random
import re
import sys
import time
from typing import Any

import gevent
from gevent import GreenletExit
from locust import FastHttpUser
from locust.contrib.fasthttp import FastHttpSession, LocustBadStatusCode
from locust.env import Environment
from locust.exception import StopUser

from harness.traffic.events import OrderEvent
from harness.traffic.outcomes import Classification, classify, describe, short
from harness.traffic.pizza import PizzaCheck
from harness.traffic.process import ORDER_NAME, TrafficRun
from harness.traffic.think import first_pause

NAMES = {
    "login": "PUT /api/auth (login)",
    "register": "POST /api/auth (register)",
    "logout": "DELETE /api/auth (logout)",
    "menu": "GET /api/order/menu",
    "history": "GET /api/order (history)",
}


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
        self._authenticate(new=self.traffic.config.new_diners)
        if self.traffic.config.new_diners and self.traffic.menu:
            self.menu_items = self.traffic.menu  # one menu read per process, not per diner
        else:
            self._read_menu()
            self.traffic.menu = self.traffic.menu or self.menu_items
        self.traffic.jwks.verifier(self.client)
        # A thinking diner holds one socket, its order client's: the start's connections would
        # sit idle (the service closes them after its keep-alive) yet keep a descriptor each.
        self.client.client.clientpool.close()
        cfg = self.traffic.config
        if cfg.steady_start:
            gevent.sleep(first_pause(cfg.think_time_s, self.rng))

    def on_stop(self) -> None:
        if self.token:
            self._call("DELETE", "/api/auth", NAMES["logout"], auth=True)
            self.token = None

    # Tasks (weights are set by setup()) -------------------------------------------------------

    def order(self) -> None:
        if self._stopping():
            return
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
                    resp.failure(verdict.failure)
                seen = True
                event = self._event(resp.request_meta, resp.status_code, verdict)
        finally:
            if event is None:  # killed at the stop timeout, or interrupted before the verdict
                why = sys.exc_info()[1]
                status = getattr(answer, "status_code", 0) or None
                if isinstance(why, GreenletExit):
                    detail = "killed in flight at the stop timeout"
                else:
                    detail = "stopped before the attempt was judged" + (
                        f": {describe(why)}" if why else ""
                    )
                end = time.time()
                event = OrderEvent(
                    diner=self.email, start=sent_at, end=end, outcome="error", status=status,
                    detail=short(detail),
                )  # fmt: skip
            ledger.record(event, seen_by_locust=seen)

    def _stopping(self) -> bool:
        """Start nothing new: the run is ending (a diner woken meanwhile would be killed in
        flight). It thinks on rather than ends, as Locust's stop logs an ERROR per ended diner;
        on a worker whose budget share is spent, nothing ends it but StopUser."""
        if self.traffic.stop_reason is None:
            return False
        if self.traffic.ledger.exhausted:
            raise StopUser()
        return True

    def history(self) -> None:
        if not self._stopping() and self._ready(menu=False):
            self._call("GET", "/api/order?page=1", NAMES["history"], auth=True)

    def menu(self) -> None:
        if not self._stopping():
            self._read_menu()

    # Helpers ------------------------------------------------------------------------------------

    def _judge(self, resp: Any) -> Classification:
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
        verifier = self.traffic.jwks.verifier(self.client)
        if verifier is None:
            return PizzaCheck(None, "the factory's JWKS could not be read")
        check = verifier.check(token)
        if check.unknown_key:  # the factory may have a new key: read the JWKS again
            fresh = self.traffic.jwks.verifier(self.client, refresh=True)
            if fresh is not None and fresh is not verifier:
                check = fresh.check(token)
        return check

    def _event(self, meta: dict[str, Any], status: int, verdict: Classification) -> OrderEvent:
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

    def _authenticate(self, *, new: bool = False) -> None:
        """Log in; register when the email is unknown (at once when the diner is `new`)."""
        status, answer = 404, None
        if not new:
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

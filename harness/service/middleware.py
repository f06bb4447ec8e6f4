"""Around every request: count it and log it (by route template, never the raw path), and turn an
unexpected error into `500 {"message": ...}` (the error's text, never a stack trace)."""

from __future__ import annotations

import time

from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harness.express import message
from harness.service.logs import ServiceLog
from harness.service.telemetry import PizzaMetrics

UNKNOWN_ROUTE = "unknown"  # paths no route answers share one label, so labels stay few


def route_template(scope: Scope) -> str:
    """The template of the route that answered (`/api/order`), or UNKNOWN_ROUTE when none did
    (an unknown path, or a known path with a method it does not take)."""
    route = scope.get("route")
    if isinstance(route, Route) and (route.methods is None or scope["method"] in route.methods):
        return route.path
    return UNKNOWN_ROUTE


class RequestTelemetry:
    def __init__(self, app: ASGIApp, metrics: PizzaMetrics, log: ServiceLog) -> None:
        self.app, self.metrics, self.log = app, metrics, log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status, response_started = 500, False

        async def send_noting_status(msg: Message) -> None:
            nonlocal status, response_started
            if msg["type"] == "http.response.start":
                status, response_started = msg["status"], True
            await send(msg)

        try:
            await self.app(scope, receive, send_noting_status)
        except Exception as exc:
            self.log.error(scope["method"], scope["path"], exc)
            if response_started:  # too late to answer: let the server drop the connection
                raise
            await message(str(exc) or type(exc).__name__, 500)(scope, receive, send_noting_status)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, duration_s: float) -> None:
        route = route_template(scope)
        self.metrics.request(scope["method"], route, status)
        self.log.http(scope["method"], scope["path"], route, status, duration_s)

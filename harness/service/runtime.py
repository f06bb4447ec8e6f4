"""One app's parts, shared by every route: settings, database, tokens, metrics, log and the
factory client (opened when the app starts, closed when it stops)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from harness.express import message
from harness.service.auth import Diner, Tokens
from harness.service.config import ServiceConfig
from harness.service.factory_client import FactoryClient
from harness.service.logs import ServiceLog
from harness.service.store import PizzaStore
from harness.service.telemetry import PizzaMetrics


@dataclass
class ServiceRuntime:
    config: ServiceConfig
    store: PizzaStore
    tokens: Tokens
    metrics: PizzaMetrics
    log: ServiceLog
    factory: FactoryClient | None = None

    def factory_client(self) -> FactoryClient:
        if self.factory is None:
            raise RuntimeError("the factory client is not open: the app was not started")
        return self.factory


def runtime(request: Request) -> ServiceRuntime:
    rt: ServiceRuntime = request.app.state.service
    return rt


def diner_required(
    endpoint: Callable[[Request, Diner], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """The route answers `401 {"message":"unauthorized"}` unless a logged-in diner calls it."""

    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        diner = runtime(request).tokens.diner(request)
        if diner is None:
            return message("unauthorized", 401)
        return await endpoint(request, diner)

    return guarded

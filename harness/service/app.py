"""Assembles the reference pizza service's Starlette app: the real service's routes, CORS headers,
Express-like answers (`unknown endpoint` for every other path or method, no stack traces),
metrics and JSON logs, and the factory client opened and closed with the app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from harness.express import BodyError, ExpressCors, message
from harness.service import franchises, meta, orders, users
from harness.service.auth import Tokens
from harness.service.config import ServiceConfig
from harness.service.db import open_db
from harness.service.factory_client import FactoryClient, build_transport
from harness.service.logs import ServiceLog
from harness.service.middleware import RequestTelemetry
from harness.service.push import TelemetryPusher
from harness.service.runtime import ServiceRuntime
from harness.service.store import PizzaStore
from harness.service.telemetry import PizzaMetrics

ROUTES = [*meta.ROUTES, *users.ROUTES, *orders.ROUTES, *franchises.ROUTES]


async def _unknown(request: Request, exc: Exception) -> Response:
    if request.method == "OPTIONS":  # a CORS preflight: the headers are what the browser wants
        return Response(status_code=204)
    return message("unknown endpoint", 404)


async def _body_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BodyError)
    return message(exc.message, exc.status)


def start_pusher(config: ServiceConfig, rt: ServiceRuntime) -> TelemetryPusher | None:
    """Metrics by OTLP and logs to Loki, when the service was told where (as real ones are)."""
    if not config.otlp_url and not config.loki_url:
        return None
    logs = rt.log.buffer_for_loki() if config.loki_url else None
    user, _, key = (config.push_auth or "").partition(":")
    pusher = TelemetryPusher(
        rt.metrics.registry,
        logs,
        otlp_url=config.otlp_url,
        loki_url=config.loki_url,
        interval_s=config.push_interval_s,
        auth=(user, key) if config.push_auth else None,
    )
    pusher.start()
    return pusher


def create_app(
    config: ServiceConfig, transport: httpx.AsyncBaseTransport | None = None
) -> Starlette:
    """The service app. `transport` replaces the pool to the factory (tests pass an
    `httpx.ASGITransport` around an in-process factory, or a respx mock)."""
    config.validate()
    store = PizzaStore(open_db(config.db))
    rt = ServiceRuntime(
        config,
        store,
        Tokens(config.jwt_secret, store),
        PizzaMetrics(config.time_scale),
        ServiceLog(config.log_file, quiet=config.quiet_logs),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = transport or build_transport(config.factory_transport, config.factory_pool_size)
        rt.factory = FactoryClient(
            config.factory_url, config.factory_key, config.factory_timeout_s, pool
        )
        pusher = start_pusher(config, rt)
        try:
            yield
        finally:
            if pusher is not None:
                await pusher.aclose()
            await rt.factory.aclose()
            rt.factory = None
            rt.log.close()

    app = Starlette(
        routes=ROUTES,
        middleware=[
            Middleware(ExpressCors),
            Middleware(RequestTelemetry, metrics=rt.metrics, log=rt.log),
        ],
        exception_handlers={HTTPException: _unknown, BodyError: _body_error},
        lifespan=lifespan,
    )
    app.state.service = rt
    return app

"""Assembles the factory's Starlette app: the real API, the admin control plane, CORS headers,
Express-like error answers (never a stack trace), and `unknown endpoint` for everything else."""

from __future__ import annotations

import logging
import secrets
import tempfile
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from harness.errors import ConfigError
from harness.express import BodyError, ExpressCors, json_response, message
from harness.factory.admin import ADMIN_ROUTES
from harness.factory.api import ROUTES
from harness.factory.config import FactoryConfig
from harness.factory.inject import FaultInjector
from harness.factory.runtime import FactoryRuntime

log = logging.getLogger("harness.factory")


class AdminGuard:
    """The control plane answers only requests bearing the admin token."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.expected = app, f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sent = dict(scope.get("headers", [])).get(b"authorization", b"")
        if scope["type"] == "http" and not secrets.compare_digest(sent, self.expected):
            answer = message(
                "admin token required",
                401,
                fix="send 'Authorization: Bearer <admin token>' as printed at start-up",
            )
            return await answer(scope, receive, send)
        await self.app(scope, receive, send)


async def _unknown(request: Request, exc: Exception) -> Response:
    if request.method == "OPTIONS":  # Express answers preflights itself, with the CORS headers
        return Response(status_code=204)
    return message("unknown endpoint", 404)


async def _body_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BodyError)
    return message(exc.message, exc.status)


async def _config_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ConfigError)
    return json_response({"message": exc.message, "field": exc.field, "fix": exc.fix}, 400)


async def _crash(request: Request, exc: Exception) -> Response:
    log.error("error answering %s %s: %r", request.method, request.url.path, exc)
    return message(str(exc) or type(exc).__name__, 500)


def create_app(config: FactoryConfig, state_dir: Path | None = None) -> Starlette:
    """The factory app; `state_dir` is shared by all workers (a fresh temp dir when omitted)."""
    config.validate()
    scratch = None
    if state_dir is None and config.state_dir is None:
        scratch = tempfile.TemporaryDirectory(prefix="factory-")  # removed with the app
    state_dir = state_dir or config.state_dir or Path(scratch.name if scratch else ".")
    admin = Mount(
        "/admin", routes=ADMIN_ROUTES, middleware=[Middleware(AdminGuard, token=config.admin_token)]
    )
    app = Starlette(
        routes=[*ROUTES, admin],
        middleware=[Middleware(ExpressCors), Middleware(FaultInjector)],
        exception_handlers={
            HTTPException: _unknown,
            BodyError: _body_error,
            ConfigError: _config_error,
            Exception: _crash,
        },
    )
    app.state.factory = FactoryRuntime.open(config, state_dir)
    app.state.scratch = scratch
    return app

"""Applies the armed extra faults to every request, before routing (like a proxy in front of the
factory would): a fault may delay the request and let it through, or answer instead of it."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from harness.factory.runtime import FactoryRuntime


class FaultInjector:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            runtime: FactoryRuntime = scope["app"].state.factory
            armed = runtime.faults.armed(runtime.snapshot().faults)
            if armed:
                request = Request(scope, receive)
                answer = await runtime.faults.apply(armed, request, time.time())
                if answer is not None:
                    return await answer(scope, receive, send)
        await self.app(scope, receive, send)

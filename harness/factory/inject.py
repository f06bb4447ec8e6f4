"""Applies the armed extra faults to every request, before routing (like a proxy in front of the
factory would): a fault may delay the request and let it through, or answer instead of it. Also
records, once each, the first request a fault acted on and the end its `for` set."""

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
            stored, now = runtime.snapshot().faults, time.time()
            for fault in stored:
                if fault.overdue(now):
                    runtime.store.mark_fault_ended(fault)
            armed = runtime.faults.armed(stored)
            if armed:
                request = Request(scope, receive)
                first_hit = runtime.store.mark_fault_started
                answer = await runtime.faults.apply(armed, request, now, first_hit)
                if answer is not None:
                    return await answer(scope, receive, send)
        await self.app(scope, receive, send)

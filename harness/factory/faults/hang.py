"""`hang`: never answer; drop the connection once the client gives up or `max_s` has passed."""

from __future__ import annotations

import asyncio
import time

from pydantic import Field

from harness.factory.faults import Fault, FaultContext


class Hang(Fault, kind="hang"):
    durations = ("max_s",)
    max_s: float = Field(300.0, gt=0, le=3600)

    async def apply(self, ctx: FaultContext) -> None:
        deadline = time.monotonic() + self.max_s
        while time.monotonic() < deadline:
            if await ctx.request.is_disconnected():
                break
            await asyncio.sleep(0.05)
        await ctx.abort()

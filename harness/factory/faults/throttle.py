"""`throttle` (the real factory's chaos): the order waits, then a good pizza is made, with the
report URL added to its 200 answer (the factory's order path adds it during an episode)."""

from __future__ import annotations

import asyncio

from pydantic import Field

from harness.factory.faults import Fault, FaultContext


class Throttle(Fault, kind="throttle"):
    real = True
    durations = ("delay_ms",)
    delay_ms: float | None = Field(None, ge=0, description="None: the factory's orderDelay")

    async def apply(self, ctx: FaultContext) -> None:
        episode = ctx.need_episode()
        delay = episode.order_delay_ms if self.delay_ms is None else self.delay_ms
        await asyncio.sleep(delay / 1000)

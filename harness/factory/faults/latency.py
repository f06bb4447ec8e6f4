"""`latency`: delay the order, then let it go on: fixed plus uniform jitter, or a lognormal."""

from __future__ import annotations

import asyncio

from pydantic import Field

from harness.factory.faults import Fault, FaultContext


class Latency(Fault, kind="latency"):
    durations = ("fixed_ms", "jitter_ms", "lognormal_median_ms", "max_ms")
    fixed_ms: float = Field(0.0, ge=0)
    jitter_ms: float = Field(0.0, ge=0)
    lognormal_median_ms: float | None = Field(None, gt=0)
    lognormal_sigma: float = Field(0.5, gt=0)
    max_ms: float = Field(600_000.0, gt=0)

    def delay_ms(self, ctx: FaultContext) -> float:
        delay = self.fixed_ms + ctx.rng.uniform(0.0, self.jitter_ms)
        if self.lognormal_median_ms is not None:
            delay += self.lognormal_median_ms * ctx.rng.lognormvariate(0.0, self.lognormal_sigma)
        return min(delay, self.max_ms)

    async def apply(self, ctx: FaultContext) -> None:
        await asyncio.sleep(self.delay_ms(ctx) / 1000)

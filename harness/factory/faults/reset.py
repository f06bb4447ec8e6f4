"""`reset`: close the connection with a TCP reset and no answer at all."""

from __future__ import annotations

from harness.factory.faults import Fault, FaultContext


class Reset(Fault, kind="reset"):
    async def apply(self, ctx: FaultContext) -> None:
        await ctx.abort()

"""`fail` (the real factory's chaos): `500 {"message": "chaos monkey", "reportUrl": ...}`."""

from __future__ import annotations

from starlette.responses import Response

from harness.express import message
from harness.factory.faults import Fault, FaultContext


class Fail(Fault, kind="fail"):
    real = True

    async def apply(self, ctx: FaultContext) -> Response:
        return message("chaos monkey", 500, reportUrl=ctx.need_episode().report_url)

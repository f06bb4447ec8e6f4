"""`badjwt` (the real factory's chaos): a 200 whose JWT starts `dead`, failing verification."""

from __future__ import annotations

from starlette.responses import Response

from harness.express import json_response
from harness.factory.faults import Fault, FaultContext


class BadJwt(Fault, kind="badjwt"):
    real = True

    async def apply(self, ctx: FaultContext) -> Response:
        episode = ctx.need_episode()
        return json_response({"jwt": episode.dead_jwt, "reportUrl": episode.report_url})

"""`malformed`: a 200 whose body is not JSON (`not_json`) or is JSON cut short (`truncated`)."""

from __future__ import annotations

import json
from typing import Literal

from starlette.responses import Response

from harness.factory.faults import Fault, FaultContext


class Malformed(Fault, kind="malformed"):
    mode: Literal["not_json", "truncated"] = "truncated"

    async def apply(self, ctx: FaultContext) -> Response:
        if self.mode == "not_json":
            return Response(
                "<html><body>502 Bad Gateway</body></html>", 200, media_type="text/html"
            )
        whole = json.dumps({"jwt": "eyJhbGciOiJSUzI1NiJ9." + "x" * 64, "reportUrl": None})
        return Response(whole[: len(whole) // 2], 200, media_type="application/json")

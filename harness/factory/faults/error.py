"""`error`: answer with a chosen status and body (with probability < 1, a partial outage)."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from starlette.responses import Response

from harness.express import json_response
from harness.factory.faults import Fault, FaultContext


class Error(Fault, kind="error"):
    status: int = Field(500, ge=400, le=599)
    body: dict[str, Any] | list[Any] | str = Field(default_factory=lambda: {"message": "error"})

    async def apply(self, ctx: FaultContext) -> Response:
        if isinstance(self.body, str):
            return Response(self.body, self.status, media_type="text/plain; charset=utf-8")
        return json_response(self.body, self.status)

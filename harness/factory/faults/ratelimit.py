"""`ratelimit`: 429 Too Many Requests with a Retry-After header."""

from __future__ import annotations

from pydantic import Field
from starlette.responses import Response

from harness.express import json_response
from harness.factory.faults import Fault, FaultContext


class RateLimit(Fault, kind="ratelimit"):
    retry_after_s: int = Field(1, ge=0)

    async def apply(self, ctx: FaultContext) -> Response:
        answer = json_response({"message": "Too many requests, please try again later."}, 429)
        answer.headers["Retry-After"] = str(self.retry_after_s)
        return answer

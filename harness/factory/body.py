"""Reading a JSON request body the way Express's `express.json()` does, with a size limit.

Express parses only `application/json` bodies (anything else leaves `req.body` empty) and refuses
bodies over 100 kB. We answer a body that is not valid JSON with a clear 400; the real factory
answers 500 with the parser's message (noted in the README).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

LIMIT_BYTES = 100 * 1024


class BodyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def json_body(request: Request) -> dict[str, Any]:
    """The parsed JSON object, `{}` for a non-JSON content type, or BodyError (400/413)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > LIMIT_BYTES:
        raise BodyError(413, "request entity too large")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > LIMIT_BYTES:
            raise BodyError(413, "request entity too large")
    if "json" not in request.headers.get("content-type", "") or not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BodyError(400, f"invalid JSON body: {exc}") from None
    if not isinstance(parsed, dict):
        return {}
    return parsed

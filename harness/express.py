"""Express-like HTTP behaviour shared by the mock factory and the reference service, which both
stand in for Node/Express servers: compact JSON answers, `express.json()` body parsing with its
100 kB limit, and the permissive CORS headers both real servers set on every response.

We answer a body that is not valid JSON with a clear 400; the real servers answer 500 with the
parser's message (noted in docs/reference-service.md).
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harness import jsontext
from harness.numbers import decimal

LIMIT_BYTES = 100 * 1024


def json_response(content: Any, status: int = 200) -> Response:
    body = json.dumps(content, separators=(",", ":"), ensure_ascii=False)
    return Response(body, status, media_type="application/json; charset=utf-8")


def message(text: str, status: int, **extra: Any) -> Response:
    """`{"message": text, ...extra}`; extra fields that are None are left out, like Express."""
    return json_response(
        {"message": text, **{k: v for k, v in extra.items() if v is not None}}, status
    )


class BodyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def _bounded_body(request: Request) -> bytes:
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > LIMIT_BYTES:
            raise BodyError(413, "request entity too large")
    return bytes(raw)


async def json_body(request: Request) -> dict[str, Any]:
    """The parsed JSON object, `{}` for a non-JSON content type, or BodyError (400/413)."""
    headers = request.headers
    declared = decimal(headers.get("content-length", ""))
    if declared is not None and declared > LIMIT_BYTES:
        raise BodyError(413, "request entity too large")
    # With a Content-Length the server already bounds the body; only chunked bodies are counted.
    raw = await request.body() if declared is not None else await _bounded_body(request)
    if "json" not in headers.get("content-type", "") or not raw:
        return {}
    try:
        parsed = jsontext.loads(raw)
    except ValueError as exc:
        raise BodyError(400, f"invalid JSON body: {exc}") from None
    if not isinstance(parsed, dict):
        return {}
    return parsed


class ExpressCors:
    """Every answer carries the real factory's permissive CORS headers.

    Starlette's CORSMiddleware only answers requests that carry an Origin and rejects unknown
    ones; the real factory sets these four headers on every response, so we copy that by hand.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        origin = next((v for k, v in scope["headers"] if k == b"origin"), b"*")
        cors = [
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-methods", b"GET, POST, PUT, DELETE"),
            (b"access-control-allow-headers", b"Content-Type, Authorization"),
            (b"access-control-allow-credentials", b"true"),
        ]

        async def send_with_cors(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                msg["headers"] = [*msg.get("headers", []), *cors]
            await send(msg)

        await self.app(scope, receive, send_with_cors)

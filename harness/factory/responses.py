"""JSON answers shaped like Express's `res.json`: compact, `application/json; charset=utf-8`."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response


def json_response(content: Any, status: int = 200) -> Response:
    body = json.dumps(content, separators=(",", ":"), ensure_ascii=False)
    return Response(body, status, media_type="application/json; charset=utf-8")


def message(text: str, status: int, **extra: Any) -> Response:
    """`{"message": text, ...extra}`; extra fields that are None are left out, like Express."""
    return json_response(
        {"message": text, **{k: v for k, v in extra.items() if v is not None}}, status
    )

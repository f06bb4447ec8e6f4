"""Reading pushed request bodies (size-limited, gzip-aware), naming bad fields, and mapping
payload times to the caller's clock; shared by the webhook receivers and the ingestion endpoints.
"""

from __future__ import annotations

import gzip
import time
import zlib
from collections.abc import Callable

from pydantic import ValidationError
from starlette.requests import Request

from harness.express import BodyError
from harness.numbers import decimal

LIMIT_BYTES = 5 * 1024 * 1024  # Loki's and Grafana Cloud's push limits are a few MB

# A clock maps a payload's own time (epoch seconds, None when the payload gives none) to the
# time the caller stores: the runner passes one that answers scenario seconds.
Clock = Callable[[float | None], float]


def arrival(_payload_time: float | None = None) -> float:
    """The default clock: the wall-clock arrival time, whatever the payload says."""
    return time.time()


def payload_or_arrival(payload_time: float | None = None) -> float:
    """The payload's own time when it gives one, else the arrival time (epoch seconds)."""
    return time.time() if payload_time is None else payload_time


async def read_body(request: Request, limit: int = LIMIT_BYTES) -> bytes:
    """The request body, gunzipped when `Content-Encoding: gzip`; BodyError 413/400/415."""
    declared = decimal(request.headers.get("content-length", ""))
    if declared is not None and declared > limit:
        raise BodyError(413, f"request body larger than {limit} bytes")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise BodyError(413, f"request body larger than {limit} bytes")
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return bytes(raw)
    if encoding not in ("gzip", "x-gzip"):
        raise BodyError(415, f"Content-Encoding {encoding!r} is not supported (use gzip or none)")
    return _gunzip(bytes(raw), limit)


def _gunzip(raw: bytes, limit: int) -> bytes:
    """Every gzip member in turn (as `gzip -d` and Go's reader read concatenated members); a
    truncated member is refused, not read up to where it breaks off."""
    out, rest = bytearray(), raw
    while rest:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            out += inflater.decompress(rest, limit + 1 - len(out))
        except (zlib.error, gzip.BadGzipFile) as exc:
            raise BodyError(400, f"body is not valid gzip: {exc}") from None
        if len(out) > limit or inflater.unconsumed_tail:
            raise BodyError(413, f"decompressed body larger than {limit} bytes")
        if not inflater.eof:
            raise BodyError(400, "body is not valid gzip: it ends in the middle of a member")
        rest = inflater.unused_data
    return bytes(out)


def field_errors(exc: ValidationError) -> list[str]:
    """Pydantic's errors as `alerts[0].status: Input should be 'firing' or 'resolved'`."""
    out = []
    for error in exc.errors(include_url=False):
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        out.append(f"{path.lstrip('.') or '(body)'}: {error['msg']}")
    return out

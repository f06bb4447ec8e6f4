"""Starlette routes for every registered receiver: `receiver_routes(sink)`.

A handler never raises on a bad payload: it answers 400 (413/415 for an oversized or wrongly
encoded body) with the reason naming the field, and hands the refusal to the sink as a
`ReceiverRejected` event. Accepted payloads answer 200 `{"status": "success", ...}` unless the
receiver answers its own way (PagerDuty's 202).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from harness.express import BodyError
from harness.ingest.body import read_body
from harness.receivers.registry import RECEIVERS, PayloadError, Receiver, decode
from harness.receivers.signals import ReceiverSink
from harness.timeline import ReceiverRejected

LIMIT_BYTES = 1024 * 1024  # PagerDuty's limit is 512 KB; Alertmanager groups can be larger


def _refusal(receiver: Receiver, error: PayloadError) -> Response:
    if receiver.refuse is not None:
        return receiver.refuse(error)
    body = {"status": "invalid payload", "message": error.reason, "errors": error.errors}
    return JSONResponse(body, status_code=error.status)


def endpoint(
    receiver: Receiver, sink: ReceiverSink, now: Callable[[], float] = time.time
) -> Callable[[Request], Awaitable[Response]]:
    def refuse(path: str, error: PayloadError, received: float) -> Response:
        rejection = ReceiverRejected(
            receiver=receiver.name,
            path=path,
            status=error.status,
            reason=error.reason,
            errors=error.errors,
        )
        rejection.t = received
        sink.rejected(rejection)
        return _refusal(receiver, error)

    async def handle(request: Request) -> Response:
        received = now()
        try:
            raw = await read_body(request, LIMIT_BYTES)
            signals = decode(receiver, raw, received)
        except BodyError as exc:
            return refuse(request.url.path, PayloadError(exc.message, None, exc.status), received)
        except PayloadError as exc:
            return refuse(request.url.path, exc, received)
        sink.signals(signals)
        if receiver.answer is not None:
            return receiver.answer(signals)
        body = {"status": "success", "receiver": receiver.name, "signals": len(signals)}
        return JSONResponse(body)

    return handle


def receiver_routes(sink: ReceiverSink, now: Callable[[], float] = time.time) -> list[Route]:
    """One POST route per registered path (see `RECEIVERS`), all feeding `sink`."""
    return [
        Route(path, endpoint(receiver, sink, now), methods=["POST"], name=f"hook-{receiver.name}")
        for receiver in RECEIVERS.values()
        for path in receiver.paths
    ]

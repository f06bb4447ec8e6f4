"""Starlette routes for pushed telemetry: `ingest_routes(tsdb, logs, clock, rejected)`.

    POST /v1/metrics                  OTLP/HTTP JSON      200 {} or {"partialSuccess": ...}
    POST /api/v1/push/influx/write    Influx line protocol  204
    POST /loki/api/v1/push            Loki JSON push      204

Bodies may be gzip-encoded and are parsed on a worker thread (harness.ingest.bounds), never on
the serving loop; a push past the samples-per-push or series-per-run bound is refused 400. A
malformed push is answered 400 in the protocol's own error shape
(OTLP: a google.rpc.Status `{"code": 3, "message": ...}`; Influx: `{"code": "invalid",
"message": ...}`; Loki: plain text), a protobuf push 415, and each refusal goes to `rejected`.
Sample times come from `clock(payload time or None)` (default: arrival time).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from harness.express import BodyError
from harness.ingest.body import Clock, arrival, read_body
from harness.ingest.bounds import BoundError, OffLoop, SeriesBudget, check_push_size
from harness.ingest.influx import LineError, parse_lines
from harness.ingest.loki import LogLine, LogStore, LokiError, parse_push
from harness.ingest.otlp import OtlpError, OtlpTranslator, Sample
from harness.timeline import ReceiverRejected

Endpoint = Callable[[Request], Awaitable[Response]]
Rejected = Callable[[ReceiverRejected], object]
PROTOBUF = ("application/x-protobuf", "application/protobuf")
GRPC_INVALID_ARGUMENT = 3


class SampleSink(Protocol):
    """What stores pushed samples: harness.alerting.TSDB fits."""

    def ingest(
        self, name: str, labels: Mapping[str, str] | None, value: float, t: float
    ) -> None: ...

    def ingest_stale(self, name: str, labels: Mapping[str, str] | None, t: float) -> None: ...


def store(tsdb: SampleSink, samples: list[Sample], clock: Clock) -> None:
    for s in samples:
        if s.value is None:
            tsdb.ingest_stale(s.name, s.labels, clock(s.t))
        else:
            tsdb.ingest(s.name, s.labels, s.value, clock(s.t))


def _protobuf(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip() in PROTOBUF


class Ingest:
    """The three endpoints, sharing the sinks, the clock and the refusal record."""

    def __init__(
        self, tsdb: SampleSink, logs: LogStore, clock: Clock, rejected: Rejected | None
    ) -> None:
        self.tsdb, self.logs, self.clock = tsdb, logs, clock
        self.rejected = rejected
        self.otlp = OtlpTranslator()
        self.series = SeriesBudget()
        self.off_loop = OffLoop()

    def refuse(self, name: str, request: Request, status: int, reason: str) -> None:
        if self.rejected is not None:
            event = ReceiverRejected(
                receiver=name, path=request.url.path, status=status, reason=reason
            )
            event.t = arrival()
            self.rejected(event)

    async def metrics(self, request: Request) -> Response:
        if _protobuf(request):
            return self._otlp_error(request, 415, "protobuf is not supported: push OTLP as JSON")
        try:
            body = await read_body(request)
            result = await self.off_loop(lambda: self.otlp.decode(body))
            check_push_size(len(result.samples))
            self.series.admit(result.samples)
        except BodyError as exc:
            return self._otlp_error(request, exc.status, exc.message)
        except (OtlpError, BoundError) as exc:
            return self._otlp_error(request, 400, str(exc))
        store(self.tsdb, result.samples, self.clock)
        if not result.rejected and not result.messages:
            return JSONResponse({})
        message = "; ".join(result.messages)
        partial = {"rejectedDataPoints": str(result.rejected), "errorMessage": message}
        return JSONResponse({"partialSuccess": partial})

    def _otlp_error(self, request: Request, status: int, message: str) -> Response:
        self.refuse("otlp", request, status, message)
        return JSONResponse({"code": GRPC_INVALID_ARGUMENT, "message": message}, status)

    async def influx(self, request: Request) -> Response:
        precision = request.query_params.get("precision", "ns")
        try:
            raw = await read_body(request)
            samples = await self.off_loop(lambda: parse_lines(raw.decode("utf-8"), precision))
            self.series.admit(samples)
        except BodyError as exc:
            return self._influx_error(request, exc.status, exc.message)
        except BoundError as exc:
            return self._influx_error(request, 400, str(exc))
        except (LineError, UnicodeDecodeError) as exc:
            return self._influx_error(request, 400, f"failed to parse points: {exc}")
        store(self.tsdb, samples, self.clock)
        return Response(status_code=204)

    def _influx_error(self, request: Request, status: int, message: str) -> Response:
        self.refuse("influx", request, status, message)
        return JSONResponse({"code": "invalid", "message": message}, status)

    async def loki(self, request: Request) -> Response:
        if _protobuf(request):
            message = "snappy-compressed protobuf is not supported: push JSON (application/json)"
            return self._loki_error(request, 415, message)
        try:
            body = await read_body(request)
            lines = await self.off_loop(lambda: parse_push(body))
        except BodyError as exc:
            return self._loki_error(request, exc.status, exc.message)
        except LokiError as exc:
            return self._loki_error(request, 400, str(exc))
        self.logs.push(LogLine(self.clock(e.t), e.labels, e.line, e.metadata) for e in lines)
        return Response(status_code=204)

    def _loki_error(self, request: Request, status: int, message: str) -> Response:
        self.refuse("loki", request, status, message)
        return PlainTextResponse(message, status)


def ingest_routes(
    tsdb: SampleSink,
    logs: LogStore,
    clock: Clock = arrival,
    rejected: Rejected | None = None,
) -> list[Route]:
    """POST routes for OTLP metrics, Influx line protocol and Loki pushes."""
    ingest = Ingest(tsdb, logs, clock, rejected)
    return [
        Route("/v1/metrics", ingest.metrics, methods=["POST"], name="ingest-otlp"),
        Route("/otlp/v1/metrics", ingest.metrics, methods=["POST"], name="ingest-otlp-gateway"),
        Route("/api/v1/push/influx/write", ingest.influx, methods=["POST"], name="ingest-influx"),
        Route("/loki/api/v1/push", ingest.loki, methods=["POST"], name="ingest-loki"),
    ]

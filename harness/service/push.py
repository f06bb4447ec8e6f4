"""Pushes the service's telemetry the way JWT Pizza services send it to Grafana Cloud: metrics as
OTLP/HTTP JSON (`POST {otlp}/v1/metrics`) and log lines as Loki pushes (`POST
{loki}/loki/api/v1/push`), every push interval, so the harness can judge a service that is
only reachable through what it pushes. A failed push is counted and retried with the next
batch; it never stops the service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from typing import Any

import httpx
from prometheus_client import CollectorRegistry

from harness.service.logs import LEVELS

SERVICE_NAME = "jwt-pizza-service"
LOKI_BATCH = 500  # lines per push; more wait for the next interval
LOKI_KEEP = 50_000  # lines kept while Loki is unreachable; older ones are dropped (and counted)


class LokiBuffer(logging.Handler):
    """Keeps the service's formatted log lines until the next Loki push (thread-safe: uvicorn
    may log from other threads)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[tuple[int, str, dict[str, str]]] = []
        self.dropped = 0
        self.guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        fields = getattr(record, "fields", {})
        labels = {
            "component": SERVICE_NAME,
            "level": LEVELS.get(record.levelno, record.levelname.lower()),
            "type": str(fields.get("type", "log")),
        }
        with self.guard:
            self.lines.append((time.time_ns(), line, labels))

    def take(self) -> list[tuple[int, str, dict[str, str]]]:
        with self.guard:
            taken, self.lines = self.lines[:LOKI_BATCH], self.lines[LOKI_BATCH:]
        return taken

    def give_back(self, lines: list[tuple[int, str, dict[str, str]]]) -> None:
        with self.guard:
            self.lines = lines + self.lines
            excess = len(self.lines) - LOKI_KEEP
            if excess > 0:
                del self.lines[:excess]
                self.dropped += excess


def loki_payload(lines: list[tuple[int, str, dict[str, str]]]) -> dict[str, Any]:
    """Loki's push body: one stream per label set, values `[ns-timestamp string, line]`."""
    streams: dict[tuple[tuple[str, str], ...], list[list[str]]] = {}
    for ns, line, labels in lines:
        streams.setdefault(tuple(sorted(labels.items())), []).append([str(ns), line])
    return {"streams": [{"stream": dict(k), "values": v} for k, v in streams.items()]}


# No library turns a prometheus_client registry into OTLP JSON (OpenTelemetry's Python exporter
# speaks protobuf only), so the few shapes the service uses are written out here.
def otlp_payload(registry: CollectorRegistry, started_ns: int) -> dict[str, Any]:
    """Counters as cumulative monotonic sums (named without `_total`, as OTLP does), histograms
    with per-bucket counts and explicit bounds, under resource `service.name`."""
    now = str(time.time_ns())
    metrics = []
    for family in registry.collect():
        if family.type == "counter":
            metrics.append(_sum(family, str(started_ns), now))
        elif family.type == "histogram":
            metrics.append(_histogram(family, str(started_ns), now))
    resource = {"attributes": [_attr("service.name", SERVICE_NAME)]}
    scope = {"scope": {"name": "harness.service"}, "metrics": metrics}
    return {"resourceMetrics": [{"resource": resource, "scopeMetrics": [scope]}]}


def _attr(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "value": {"stringValue": value}}


def _attrs(labels: dict[str, str]) -> list[dict[str, Any]]:
    return [_attr(k, v) for k, v in sorted(labels.items())]


def _sum(family: Any, start: str, now: str) -> dict[str, Any]:
    points = [
        {"attributes": _attrs(s.labels), "startTimeUnixNano": start, "timeUnixNano": now}
        | {"asDouble": s.value}
        for s in family.samples
        if s.name.endswith("_total")
    ]
    body = {"dataPoints": points, "aggregationTemporality": 2, "isMonotonic": True}
    return {"name": family.name, "description": family.documentation, "sum": body}


def _histogram(family: Any, start: str, now: str) -> dict[str, Any]:
    series: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}
    for s in family.samples:
        labels = {k: v for k, v in s.labels.items() if k != "le"}
        point = series.setdefault(tuple(sorted(labels.items())), {"buckets": []})
        if s.name.endswith("_bucket"):
            point["buckets"].append((float(s.labels["le"]), s.value))
        elif s.name.endswith("_sum") or s.name.endswith("_count"):
            point[s.name.rsplit("_", 1)[1]] = s.value
    points = [_histogram_point(dict(key), p, start, now) for key, p in series.items()]
    return {
        "name": family.name,
        "description": family.documentation,
        "histogram": {"dataPoints": points, "aggregationTemporality": 2},
    }


def _histogram_point(labels: dict[str, str], p: dict[str, Any], start: str, now: str) -> Any:
    buckets = sorted(p["buckets"])
    cumulative = [count for _, count in buckets]
    counts = [int(c - (cumulative[i - 1] if i else 0)) for i, c in enumerate(cumulative)]
    return {
        "attributes": _attrs(labels),
        "startTimeUnixNano": start,
        "timeUnixNano": now,
        "count": str(int(p.get("count", 0))),
        "sum": p.get("sum", 0.0),
        "bucketCounts": [str(c) for c in counts],
        "explicitBounds": [le for le, _ in buckets if le != float("inf")],
    }


class TelemetryPusher:
    """Every `interval_s`: the metrics to `otlp_url`, the buffered log lines to `loki_url`."""

    def __init__(
        self,
        registry: CollectorRegistry,
        logs: LokiBuffer | None,
        *,
        otlp_url: str | None,
        loki_url: str | None,
        interval_s: float,
        auth: tuple[str, str] | None = None,
    ) -> None:
        self.registry, self.logs, self.interval_s = registry, logs, interval_s
        self.otlp_url = otlp_url and otlp_url.rstrip("/") + "/v1/metrics"
        self.loki_url = loki_url and loki_url.rstrip("/") + "/loki/api/v1/push"
        self.client = httpx.AsyncClient(timeout=5, auth=auth)
        self.started_ns = time.time_ns()
        self.failures = 0
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self.run())

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            await self.push()

    async def push(self) -> None:
        if self.otlp_url:
            await self._post(self.otlp_url, otlp_payload(self.registry, self.started_ns))
        if self.loki_url and self.logs is not None:
            lines = self.logs.take()
            if lines and not await self._post(self.loki_url, loki_payload(lines)):
                self.logs.give_back(lines)  # sent with the next push (up to LOKI_KEEP lines)

    async def _post(self, url: str, body: dict[str, Any]) -> bool:
        try:
            answer = await self.client.post(url, json=body)
            answer.raise_for_status()
            return True
        except httpx.HTTPError:
            self.failures += 1
            return False

    async def aclose(self) -> None:
        """Stop the loop, push what is left once, close the client."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.push()
        await self.client.aclose()

"""The reference service pushing its telemetry like a real JWT Pizza service: OTLP/HTTP JSON
metrics and Loki log pushes, checked on a real collector socket and as payload shapes."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ADMIN, ORDER, VENDOR_KEY, LiveFactory

from harness.netutil import free_port
from harness.procs import ManagedProcess
from harness.service.push import LokiBuffer, loki_payload, otlp_payload
from harness.service.telemetry import PizzaMetrics


class Collector(ThreadingHTTPServer):
    """Keeps every JSON body posted to it, by path (a stand-in for Grafana Cloud's endpoints)."""

    def __init__(self) -> None:
        self.bodies: dict[str, list[Any]] = {}
        super().__init__(("127.0.0.1", free_port()), CollectorHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def latest(self, path: str) -> Any:
        return (self.bodies.get(path) or [None])[-1]


class CollectorHandler(BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["content-length"]))
        if self.headers.get("content-encoding") == "gzip":
            raw = gzip.decompress(raw)
        self.server.bodies.setdefault(self.path, []).append(json.loads(raw))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def metric(body: dict[str, Any], name: str) -> dict[str, Any]:
    (scope,) = body["resourceMetrics"][0]["scopeMetrics"]
    return next(m for m in scope["metrics"] if m["name"] == name)


def test_counters_are_cumulative_monotonic_sums_named_without_total() -> None:
    metrics = PizzaMetrics()
    metrics.orders.inc(3)
    metrics.request("POST", "/api/order", 200)
    body = otlp_payload(metrics.registry, 1)
    resource = body["resourceMetrics"][0]["resource"]["attributes"]
    assert {"key": "service.name", "value": {"stringValue": "jwt-pizza-service"}} in resource
    orders = metric(body, "pizza_orders")["sum"]
    assert orders["isMonotonic"] and orders["aggregationTemporality"] == 2
    assert orders["dataPoints"][0]["asDouble"] == 3.0
    (point,) = metric(body, "http_requests")["sum"]["dataPoints"]
    assert {"key": "route", "value": {"stringValue": "/api/order"}} in point["attributes"]


def test_histograms_carry_per_bucket_counts_and_bounds() -> None:
    metrics = PizzaMetrics()
    for seconds in (0.003, 0.2, 0.2, 45.0, 90.0):
        metrics.factory_latency.observe(seconds)
    (point,) = metric(otlp_payload(metrics.registry, 1), "pizza_factory_latency_seconds")[
        "histogram"
    ]["dataPoints"]
    counts = [int(c) for c in point["bucketCounts"]]
    assert len(counts) == len(point["explicitBounds"]) + 1  # the last is the +Inf bucket
    assert sum(counts) == int(point["count"]) == 5 and counts[0] == 1 and counts[-1] == 1
    assert point["sum"] == pytest.approx(135.403)


def test_loki_payload_groups_lines_by_labels() -> None:
    lines = [(1, "a", {"level": "info"}), (2, "b", {"level": "error"}), (3, "c", {"level": "info"})]
    body = loki_payload(lines)
    assert {"stream": {"level": "info"}, "values": [["1", "a"], ["3", "c"]]} in body["streams"]
    assert len(body["streams"]) == 2


def test_a_failed_loki_push_keeps_its_lines_for_the_next() -> None:
    buffer = LokiBuffer()
    buffer.lines = [(1, "a", {}), (2, "b", {})]
    taken = buffer.take()
    buffer.lines.append((3, "c", {}))
    buffer.give_back(taken)
    assert [line for _, line, _ in buffer.lines] == ["a", "b", "c"]


@pytest.mark.slow
def test_a_running_service_pushes_metrics_and_logs(collector: Collector, tmp_path: Path) -> None:
    factory = LiveFactory(tmp_path / "factory", order_delay_ms="0")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = ["serve", "service", "--port", str(port), "--factory-url", factory.url]
    args += ["--factory-key", VENDOR_KEY, "--otlp-url", collector.url]
    args += ["--loki-url", collector.url, "--push-interval", "0.1", "--log-file", "/dev/null"]
    service = ManagedProcess.harness("service", args, f"{url}/", tmp_path)
    with factory.process, service, httpx.Client(timeout=10) as client:
        client.put(f"{factory.url}/admin/chaos", json={"type": "fail"}, headers=ADMIN)
        diner = {"name": "p", "email": "p@jwt.com", "password": "a"}
        token = client.post(f"{url}/api/auth", json=diner).json()["token"]
        failed = client.post(
            f"{url}/api/order", json=ORDER["order"], headers={"authorization": f"Bearer {token}"}
        )
        assert failed.status_code == 500
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _pushed_failure(collector):
            time.sleep(0.1)
    failures = metric(collector.latest("/v1/metrics"), "pizza_factory_failures")["sum"]
    assert sum(p["asDouble"] for p in failures["dataPoints"]) == 1
    lines = [
        json.loads(line)
        for body in collector.bodies["/loki/api/v1/push"]
        for stream in body["streams"]
        for _, line in stream["values"]
    ]
    factory_line = next(line for line in lines if line["type"] == "factory")
    assert "/report/" in factory_line["answer"]["reportUrl"]
    assert factory_line["level"] == "error"


def _pushed_failure(collector: Collector) -> bool:
    body = collector.latest("/v1/metrics")
    if body is None or "/loki/api/v1/push" not in collector.bodies:
        return False
    points = metric(body, "pizza_factory_failures")["sum"]["dataPoints"]
    return sum(p["asDouble"] for p in points) >= 1

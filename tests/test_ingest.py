"""Telemetry ingestion: OTLP/HTTP JSON metrics, Influx line protocol and Loki pushes (samples in
tests/payloads, written from the public specifications and the JWT Pizza course's pushers)
into the real TSDB and log store; PromQL rules and the report-URL search work on them."""

from __future__ import annotations

import copy
import gzip
import json
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from harness.alerting import TSDB, AlertEngine, evaluate, load_rules
from harness.ingest import (
    LogLine,
    LogStore,
    OtlpTranslator,
    ingest_routes,
    parse_lines,
    report_urls,
)
from harness.ingest.naming import otlp_metric_name
from harness.timeline import ReceiverRejected
from tests.push_support import sample, serving

T0 = 1_772_463_600.0  # the samples' epoch: 2026-03-02T15:00:00Z; scenario time = epoch - T0
REPORT = (
    "https://pizza-factory.cs329.click/api/support/0123456789abcdef0123456789abcdef/report/9f2c41d7"
)


class Pushed:
    """The ingestion routes in-process, over a real TSDB and LogStore, in scenario seconds."""

    def __init__(self) -> None:
        self.tsdb, self.logs = TSDB(), LogStore()
        self.refused: list[ReceiverRejected] = []
        clock = lambda t: (t if t is not None else T0 + 90.0) - T0  # noqa: E731
        routes = ingest_routes(self.tsdb, self.logs, clock, self.refused.append)
        self.client = TestClient(Starlette(routes=routes))

    def values(self, expr: str, t: float) -> dict[str, float]:
        """`expr`'s vector at scenario time t, keyed by its labels as text."""
        result = evaluate(expr, self.tsdb, t)
        assert isinstance(result, list)
        return {",".join(f"{k}={v}" for k, v in labels): value for labels, value in result}


@pytest.fixture
def pushed() -> Pushed:
    return Pushed()


def otlp_counter(value: int, at: float) -> dict[str, Any]:
    """The sample request with pizza_purchases{status=failure} set to `value` at epoch `at`."""
    body = sample("otlp-metrics.json")
    point = body["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["sum"]["dataPoints"][1]
    point.update(asInt=str(value), timeUnixNano=str(int(at * 1e9)))
    return body


# --- OTLP ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "unit", "kind", "expected"),
    [
        ("pizza_purchases", "1", "counter", "pizza_purchases_total"),
        ("pizza_purchases_total", "", "counter", "pizza_purchases_total"),
        ("requests", "1", "counter", "requests_total"),
        ("latency", "ms", "counter", "latency_milliseconds_total"),
        ("cpu", "%", "gauge", "cpu_percent"),
        ("memory.usage", "By", "gauge", "memory_usage_bytes"),
        ("active.users", "{user}", "gauge", "active_users"),
        ("cache.hit", "1", "gauge", "cache_hit_ratio"),
        ("http.server.request.duration", "s", "histogram", "http_server_request_duration_seconds"),
        ("net.io", "By/s", "gauge", "net_io_bytes_per_second"),
    ],
)
def test_otlp_names_follow_the_prometheus_translation(
    name: str, unit: str, kind: str, expected: str
) -> None:
    assert otlp_metric_name(name, unit, kind) == expected


def test_otlp_request_becomes_prometheus_series(pushed: Pushed) -> None:
    answer = pushed.client.post("/v1/metrics", json=sample("otlp-metrics.json"))
    assert answer.status_code == 200 and answer.json() == {}
    at = 60.0
    purchases = pushed.values("pizza_purchases_total", at)
    key = "__name__=pizza_purchases_total,http_route=/api/order,instance=pizza-service-1,"
    assert purchases[key + "job=jwt-pizza-service,status=failure"] == 3.0
    assert pushed.values("active_users", at) and pushed.values("cpu_percent", at)
    buckets = pushed.values('factory_latency_milliseconds_bucket{le="+Inf"}', at)
    assert list(buckets.values()) == [10.0]
    le_500 = pushed.values('factory_latency_milliseconds_bucket{le="500"}', at)
    assert list(le_500.values()) == [3.0], "cumulative: 1 + 2"
    p50 = evaluate("histogram_quantile(0.5, factory_latency_milliseconds_bucket)", pushed.tsdb, at)
    assert isinstance(p50, list) and 500 < p50[0][1] <= 1000
    assert pushed.values("factory_latency_milliseconds_count", at)
    assert pushed.values("factory_latency_milliseconds_sum", at)


def test_the_course_hand_written_push_is_understood(pushed: Pushed) -> None:
    assert pushed.client.post("/v1/metrics", json=sample("otlp-course-push.json")).json() == {}
    for name in ("requests_total", "latency_milliseconds_total", "cpu_percent"):
        [labels] = pushed.values(name, 60.0)
        assert "source=jwt-pizza-service" in labels and "job=" not in labels, "no resource"
    assert pushed.values("requests_total", 60.0).popitem()[1] == 1274.0


def test_rate_rules_work_on_pushed_otlp_counters(pushed: Pushed) -> None:
    for i, failures in enumerate([0, 0, 0, 6, 12, 18, 24, 30]):  # a push every 15 s
        pushed.client.post("/v1/metrics", json=otlp_counter(failures, T0 + 15 * i))
    failing = pushed.values('rate(pizza_purchases_total{status="failure"}[1m])', 105.0)
    assert list(failing.values()) == [pytest.approx(0.4)]
    rules = load_rules(
        [
            {
                "alert": "PizzaCreationFailures",
                "expr": 'sum(increase(pizza_purchases_total{status="failure"}[1m])) > 0',
                "for": "15s",
            }
        ],
        where="test",
    )
    engine = AlertEngine(rules, 15.0, pushed.tsdb)
    states = [[tr.state_to for tr in engine.evaluate(t)] for t in (30.0, 60.0, 75.0)]
    assert states == [[], ["pending"], ["firing"]]


def test_otlp_delta_sums_are_accumulated_into_a_counter() -> None:
    translator = OtlpTranslator()
    totals = []
    for delta in (2, 3, 0, 5):
        body = copy.deepcopy(sample("otlp-course-push.json"))
        s = body["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]["sum"]
        s.update(aggregationTemporality="AGGREGATION_TEMPORALITY_DELTA")
        s["dataPoints"][0]["asInt"] = delta
        [first, *_] = translator.decode(json.dumps(body).encode()).samples
        totals.append(first.value)
    assert totals == [2.0, 5.0, 5.0, 10.0]


def test_otlp_partial_success_names_what_was_rejected(pushed: Pushed) -> None:
    answer = pushed.client.post("/v1/metrics", json=sample("otlp-partly-rejected.json"))
    assert answer.status_code == 200
    partial = answer.json()["partialSuccess"]
    assert partial["rejectedDataPoints"] == "3"
    for reason in (
        "neither asInt nor asDouble",
        "aggregationTemporality unspecified",
        "exponential",
    ):
        assert reason in partial["errorMessage"]
    assert pushed.values("pizza_purchases_total", 60.0), "the good point was stored"


@pytest.mark.parametrize(
    ("body", "headers", "status", "reason"),
    [
        (json.dumps(sample("otlp-malformed.json")).encode(), {}, 400, "asInt"),
        (b'{"resourceMetrics": {}}', {}, 400, "resourceMetrics"),
        (b"{", {}, 400, "not valid JSON"),
        (b"\x0a\x05", {"content-type": "application/x-protobuf"}, 415, "JSON"),
        (b"{}", {"content-encoding": "br"}, 415, "Content-Encoding"),
        (b"not gzip", {"content-encoding": "gzip"}, 400, "gzip"),
    ],
)
def test_malformed_otlp_pushes_are_refused_and_recorded(
    pushed: Pushed, body: bytes, headers: dict[str, str], status: int, reason: str
) -> None:
    headers = {"content-type": "application/json", **headers}
    answer = pushed.client.post("/v1/metrics", content=body, headers=headers)
    assert answer.status_code == status
    assert answer.json()["code"] == 3 and reason in answer.json()["message"]
    [refused] = pushed.refused
    assert refused.receiver == "otlp" and refused.status == status and reason in refused.reason


def test_gzip_otlp_push(pushed: Pushed) -> None:
    body = gzip.compress(json.dumps(sample("otlp-course-push.json")).encode())
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    assert pushed.client.post("/v1/metrics", content=body, headers=headers).json() == {}
    assert pushed.values("cpu_percent", 60.0)


# --- Influx line protocol --------------------------------------------------------------------


def test_influx_lines_become_measurement_field_series(pushed: Pushed) -> None:
    answer = pushed.client.post("/api/v1/push/influx/write", content=sample("influx-lines.txt"))
    assert answer.status_code == 204
    requests = pushed.values("request_total", 90.0)
    assert sorted(requests.values()) == [250.0, 1000.0]
    assert pushed.values("pizza_sold", 60.0) and pushed.values("pizza_creationLatency", 60.0)
    assert list(pushed.values("cpu", 60.0).values()) == [12.5], "a field called value"
    assert list(pushed.values("auth_locked", 60.0).values()) == [0.0]
    assert list(pushed.values("auth_attempts", 60.0).values()) == [2.0]
    assert not pushed.values('{__name__=~"auth_last_user.*"}', 60.0), "strings are skipped"
    [(labels, value)] = pushed.values("my_measurement_field_one", 60.0).items()
    assert value == 1500.0 and "host=server A" in labels and "region=us,west" in labels
    assert "le_x=1" in labels


def test_influx_precision_and_escapes() -> None:
    [s] = parse_lines("cpu,host=a\\ b value=1 1772463660", precision="s")
    assert s.t == 1_772_463_660.0 and s.labels == {"host": "a b"}
    [s] = parse_lines('weird\\,name,__name__=x f="a \\"quoted\\" text",g=1i')
    assert s.name == "weird_name_g" and s.labels == {}


@pytest.mark.parametrize(
    ("body", "query", "reason"),
    [
        (sample("influx-malformed.txt"), "", "line 2"),
        ("request,source=x", "", "missing fields"),
        ("request,source total=1", "", "tag 'source'"),
        ('request msg="unterminated', "", "unterminated"),
        ("request total=1 yesterday", "", "timestamp"),
        ("request total=1 1", "?precision=fortnight", "precision"),
    ],
)
def test_malformed_influx_pushes_are_refused_whole(
    pushed: Pushed, body: str, query: str, reason: str
) -> None:
    answer = pushed.client.post(f"/api/v1/push/influx/write{query}", content=body)
    assert answer.status_code == 400 and reason in answer.json()["message"]
    assert pushed.tsdb.series() == [], "one bad line refuses the batch"
    assert pushed.refused[0].receiver == "influx"


# --- Loki ------------------------------------------------------------------------------------


def test_loki_push_stores_lines_and_the_report_url_is_found(pushed: Pushed) -> None:
    answer = pushed.client.post("/loki/api/v1/push", json=sample("loki-push.json"))
    assert answer.status_code == 204
    lines = pushed.logs.new_lines()
    assert len(lines) == 3 and lines[0].labels["type"] == "http"
    assert lines[1].t == 60.0 and lines[1].metadata == {
        "trace_id": "0af7651916cd43dd8448eb211c80319c"
    }
    assert report_urls(lines) == [REPORT], "the double-encoded resBody and the plain-text line"
    assert report_urls(lines[:1]) == []
    assert pushed.logs.new_lines() == [], "each line is handed out once"
    pushed.client.post("/loki/api/v1/push", json=sample("loki-push.json"))
    assert len(pushed.logs.new_lines()) == 3


def test_the_log_store_is_bounded_and_its_cursor_survives_trimming() -> None:
    store = LogStore(max_lines=3)
    store.push(LogLine(float(i), {"a": "b"}, str(i)) for i in range(2))
    assert [x.line for x in store.new_lines()] == ["0", "1"]
    store.push(LogLine(float(i), {"a": "b"}, str(i)) for i in range(2, 6))
    assert [x.line for x in store.new_lines()] == ["3", "4", "5"], "2 was trimmed unread"


@pytest.mark.parametrize(
    ("body", "headers", "status", "reason"),
    [
        (json.dumps(sample("loki-malformed.json")).encode(), {}, 400, "at least one label"),
        (b'{"streams": [{"stream": {"a": "b"}, "values": [[1.5, "x"]]}]}', {}, 400, "values[0][0]"),
        (b'{"streams": [{"stream": {"a": "b"}, "values": [["1", 2]]}]}', {}, 400, "values[0][1]"),
        (b'{"streams": {}}', {}, 400, "streams"),
        (b"\xff\x06sNaPpY", {"content-type": "application/x-protobuf"}, 415, "push JSON"),
    ],
)
def test_malformed_loki_pushes_are_refused(
    pushed: Pushed, body: bytes, headers: dict[str, str], status: int, reason: str
) -> None:
    answer = pushed.client.post("/loki/api/v1/push", content=body, headers=headers)
    assert answer.status_code == status and reason in answer.text
    assert pushed.logs.lines() == [] and pushed.refused[0].receiver == "loki"


def test_gzip_loki_push(pushed: Pushed) -> None:
    body = gzip.compress(json.dumps(sample("loki-push.json")).encode())
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    assert pushed.client.post("/loki/api/v1/push", content=body, headers=headers).status_code == 204
    assert report_urls(pushed.logs.lines()) == [REPORT]


# --- a real server ---------------------------------------------------------------------------


def test_ingestion_on_a_real_uvicorn_server() -> None:
    tsdb, logs = TSDB(), LogStore()
    app = Starlette(routes=ingest_routes(tsdb, logs, clock=lambda t: (t or T0) - T0))
    with serving(app) as url:
        otlp = httpx.post(f"{url}/v1/metrics", json=sample("otlp-metrics.json"))
        influx = httpx.post(
            f"{url}/api/v1/push/influx/write?precision=ns", content=sample("influx-lines.txt")
        )
        loki = httpx.post(f"{url}/loki/api/v1/push", json=sample("loki-push.json"))
        bad = httpx.post(f"{url}/loki/api/v1/push", json={"streams": [{"stream": {}}]})
    assert (otlp.status_code, influx.status_code, loki.status_code) == (200, 204, 204)
    assert bad.status_code == 400
    rate = evaluate("pizza_purchases_total", tsdb, 60.0)
    assert isinstance(rate, list) and len(rate) == 2
    assert report_urls(logs.new_lines()) == [REPORT]

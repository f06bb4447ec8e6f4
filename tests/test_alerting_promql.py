"""PromQL evaluation in fake time: values checked against numbers worked out by hand with
Prometheus 3's algorithms (extrapolatedRate, bucketQuantile, vector matching)."""

from __future__ import annotations

import math

import pytest
from prometheus_client import CollectorRegistry, Histogram, generate_latest

from harness.alerting import TSDB, EvalError, compile_expr, evaluate
from harness.alerting.promtool import load_series
from harness.errors import ConfigError

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 40, 60)


def db_with(*series: tuple[str, str], interval: float = 10.0, start: float = 0.0) -> TSDB:
    db = TSDB()
    for name, values in series:
        load_series(db, name, values, interval, start)
    return db


def vec(db: TSDB, expr: str, t: float) -> dict[tuple[tuple[str, str], ...], float]:
    value = evaluate(expr, db, t)
    assert isinstance(value, list), f"{expr} gave a scalar"
    return dict(value)


def one(db: TSDB, expr: str, t: float) -> float:
    result = vec(db, expr, t)
    assert len(result) == 1, result
    return next(iter(result.values()))


# --- rate / increase: Prometheus's extrapolation -------------------------------------------


def test_rate_and_increase_of_a_steady_counter() -> None:
    # 1/s counter sampled every 10 s. At t=300 the window (240, 300] holds 250..300: increase 50
    # over 50 s, 10 s from the first sample to the window start (< 1.1 * 10 s: extrapolate fully).
    db = db_with(("c_total", "0+10x60"))
    assert one(db, "increase(c_total[1m])", 300) == pytest.approx(60.0)
    assert one(db, "rate(c_total[1m])", 300) == pytest.approx(1.0)


def test_increase_is_not_extrapolated_below_zero() -> None:
    # Samples at 5, 20, 35, 50 s: 0, 3, 6, 9. Window (0, 60]: 5 s to the start, 10 s to the end.
    # A counter starting at 0 cannot be extrapolated back past zero: durationToStart = 0,
    # so increase = 9 * (45 + 0 + 10) / 45 = 11 (12 without the zero floor).
    db = db_with(("c_total", "0+3x3"), interval=15, start=5)
    assert one(db, "increase(c_total[1m])", 60) == pytest.approx(11.0)
    assert one(db, "delta(c_total[1m])", 60) == pytest.approx(12.0)  # delta has no zero floor


def test_increase_extrapolates_half_an_interval_when_the_series_starts_inside_the_window() -> None:
    # Samples at 30, 40, 50 s (10, 20, 30). Window (0, 60]: 30 s to the start is more than
    # 1.1 * 10 s, so only 5 s are added there; 10 s to the end is extrapolated fully.
    # increase = 20 * (20 + 5 + 10) / 20 = 35.
    db = db_with(("c_total", "_x3 10 20 30"))
    assert one(db, "increase(c_total[1m])", 60) == pytest.approx(35.0)
    assert one(db, "rate(c_total[1m])", 60) == pytest.approx(35.0 / 60)


def test_counter_reset_is_added_back() -> None:
    # 100 110 120 | reset | 5 15 25 at 0..50 s; window (-10, 50] holds all six.
    # raw 25 - 100 = -75, plus 120 lost at the reset = 45; 10 s to the start: factor 60/50.
    db = db_with(("c_total", "100 110 120 5 15 25"))
    assert one(db, "increase(c_total[1m])", 50) == pytest.approx(54.0)
    assert one(db, "rate(c_total[1m])", 50) == pytest.approx(0.9)
    assert one(db, "resets(c_total[1m])", 50) == 1.0
    assert one(db, "irate(c_total[1m])", 30) == pytest.approx(0.5)  # reset: 5 / 10 s


def test_range_window_is_left_open_like_prometheus_3() -> None:
    db = db_with(("g", "0 1 2 3 4 5 6"))  # samples at 0..60 s
    assert one(db, "count_over_time(g[1m])", 60) == 6.0  # (0, 60]: the sample at 0 is out
    assert one(db, "count_over_time(g[1m])", 59.999) == 6.0  # (-0.001, 59.999]: 0..50


def test_a_single_sample_gives_no_rate() -> None:
    db = db_with(("c_total", "5"))
    assert vec(db, "rate(c_total[1m])", 0) == {}


def test_over_time_functions() -> None:
    db = db_with(("g", "3 1 4 1 5 9 2"))  # 0..60 s; window (0, 60] holds 1 4 1 5 9 2
    assert one(db, "avg_over_time(g[1m])", 60) == pytest.approx(22 / 6)
    assert one(db, "sum_over_time(g[1m])", 60) == 22.0
    assert one(db, "max_over_time(g[1m])", 60) == 9.0
    assert one(db, "min_over_time(g[1m])", 60) == 1.0
    assert one(db, "last_over_time(g[1m])", 60) == 2.0
    assert one(db, "changes(g[1m])", 60) == 5.0
    assert one(db, "idelta(g[1m])", 60) == -7.0
    assert list(vec(db, "last_over_time(g[1m])", 60)) == [(("__name__", "g"),)]
    assert list(vec(db, "max_over_time(g[1m])", 60)) == [()]  # the name is dropped


# --- histogram_quantile ---------------------------------------------------------------------


def test_histogram_quantile_interpolates_inside_the_bucket() -> None:
    counts = {"0.05": 90, "0.1": 90, "30": 90, "40": 100, "60": 100, "+Inf": 100}
    db = TSDB()
    for le, n in counts.items():
        db.ingest("lat_bucket", {"le": le, "job": "svc"}, n, 0)
    assert vec(db, "histogram_quantile(0.95, lat_bucket)", 0) == {
        (("job", "svc"),): pytest.approx(35.0)  # rank 95: 30 + 10 * (5 / 10)
    }
    # rank 50 in the first bucket: lower bound 0, 0.05 * 50 / 90
    assert one(db, "histogram_quantile(0.5, lat_bucket)", 0) == pytest.approx(0.05 * 50 / 90)
    # rank 99.5 in +Inf: the highest finite bound; q out of range: +-Inf
    db.ingest("lat_bucket", {"le": "+Inf", "job": "svc"}, 200, 1)
    for le, n in counts.items():
        if le != "+Inf":
            db.ingest("lat_bucket", {"le": le, "job": "svc"}, n, 1)
    assert one(db, "histogram_quantile(0.99, lat_bucket)", 1) == 60.0
    assert one(db, "histogram_quantile(1.5, lat_bucket)", 1) == math.inf
    assert one(db, "histogram_quantile(-1, lat_bucket)", 1) == -math.inf


def test_histogram_quantile_needs_an_inf_bucket_and_observations() -> None:
    db = TSDB()
    db.ingest("h_bucket", {"le": "1"}, 5, 0)
    db.ingest("h_bucket", {"le": "2"}, 7, 0)
    assert math.isnan(one(db, "histogram_quantile(0.5, h_bucket)", 0))
    db2 = TSDB()
    for le in ("1", "+Inf"):
        db2.ingest("h_bucket", {"le": le}, 0, 0)
    assert math.isnan(one(db2, "histogram_quantile(0.5, h_bucket)", 0))


def test_a_32_second_throttle_shows_in_p95_over_scraped_classic_buckets() -> None:
    registry = CollectorRegistry()
    latency = Histogram("factory_latency_seconds", "", buckets=LATENCY_BUCKETS, registry=registry)
    db = TSDB()
    for t in range(0, 600, 10):
        for _ in range(10 if t < 300 else 9):
            latency.observe(0.05 if t < 300 else 0.04)
        if t >= 300:
            latency.observe(32.0)  # the factory's throttle: one call in ten takes 32 s
        db.ingest_exposition(generate_latest(registry).decode(), t, {"job": "svc"})
    p95 = "histogram_quantile(0.95, sum by (le) (rate(factory_latency_seconds_bucket[1m])))"
    assert one(db, p95, 240) == pytest.approx(0.025 + 0.025 * 0.95)  # all calls in (.025, .05]
    # 9 of 10 calls <= 0.05 s, 1 in (30, 40]: rank 9.5 -> 30 + 10 * 0.5 / 1
    assert one(db, p95, 420) == pytest.approx(35.0)


# --- aggregation, arithmetic, comparisons, matchers -------------------------------------------

REQUESTS = (
    ('http_requests_total{route="/order", status="200"}', "0+6x30"),
    ('http_requests_total{route="/order", status="500"}', "0+3x30"),
    ('http_requests_total{route="/menu", status="200"}', "0+12x30"),
    ('http_requests_total{route="/menu", status="5000"}', "0+1x30"),
)


def test_sum_by_avg_max_min_count_without() -> None:
    db = db_with(*REQUESTS)
    rate = "rate(http_requests_total[1m])"  # 0.6, 0.3, 1.2, 0.1 per second
    assert vec(db, f"sum by (route) ({rate})", 300) == {
        (("route", "/menu"),): pytest.approx(1.3),
        (("route", "/order"),): pytest.approx(0.9),
    }
    assert one(db, f"avg({rate})", 300) == pytest.approx(2.2 / 4)
    assert one(db, f"max({rate})", 300) == pytest.approx(1.2)
    assert one(db, f"min({rate})", 300) == pytest.approx(0.1)
    assert vec(db, "count without (status) (http_requests_total)", 300) == {
        (("route", "/menu"),): 2.0,
        (("route", "/order"),): 2.0,
    }
    assert vec(db, "sum(http_requests_total) by (status)", 300)[(("status", "200"),)] == 540.0


def test_regex_matchers_are_fully_anchored() -> None:
    db = db_with(*REQUESTS)
    five = vec(db, 'http_requests_total{status=~"5.."}', 0)
    assert [dict(k)["status"] for k in five] == ["500"]  # "5000" does not match 5..
    assert len(vec(db, 'http_requests_total{status!~"2.*"}', 0)) == 2
    assert len(vec(db, 'http_requests_total{route!="/menu"}', 0)) == 2
    assert len(vec(db, 'http_requests_total{route=~"/(menu|order)"}', 0)) == 4
    assert len(vec(db, 'http_requests_total{missing=""}', 0)) == 4  # absent label reads ""


def test_vector_scalar_and_vector_vector_arithmetic() -> None:
    db = db_with(*REQUESTS)
    errors = 'sum(rate(http_requests_total{status=~"5.*"}[1m]))'
    total = "sum(rate(http_requests_total[1m]))"
    assert one(db, f"{errors} / {total} * 100", 300) == pytest.approx(0.4 / 2.2 * 100)
    ok = 'http_requests_total{status="200"}'
    bad = 'http_requests_total{status="500"}'
    assert vec(db, f"{bad} / ignoring (status) {ok}", 300) == {
        (("route", "/order"),): pytest.approx(0.5)  # /menu has no 500 series: no match, dropped
    }
    assert vec(db, f"{bad} + on (route) {ok}", 300) == {(("route", "/order"),): 270.0}
    assert one(db, f"{bad} - 1", 300) == 89.0
    assert one(db, f"2 ^ 3 * {bad} / {bad}", 300) == 8.0
    assert one(db, f"-{bad} / 0", 300) == -math.inf  # IEEE division, no exception
    assert evaluate("1 + 2 * 3", db, 0) == 7.0


def test_comparisons_filter_or_answer_bool() -> None:
    db = db_with(*REQUESTS)
    assert vec(db, "http_requests_total > 300", 300) == {
        (("__name__", "http_requests_total"), ("route", "/menu"), ("status", "200")): 360.0
    }
    as_bool = vec(db, "http_requests_total > bool 300", 300)
    assert sorted(as_bool.values()) == [0.0, 0.0, 0.0, 1.0]
    assert all(("__name__", "http_requests_total") not in k for k in as_bool)
    assert one(db, "300 < http_requests_total", 300) == 360.0  # keeps the vector's value
    assert evaluate("2 > bool 1", db, 0) == 1.0
    ok = 'http_requests_total{status="200"}'
    five = 'http_requests_total{status="500"}'
    assert vec(db, f"{five} * 2 > bool ignoring (status) {ok}", 300) == {
        (("route", "/order"),): 0.0  # 180 > 180 is false; the name is dropped
    }
    assert vec(db, f"{five} < bool ignoring (status) {ok}", 300) == {(("route", "/order"),): 1.0}
    assert vec(db, f"{five} < ignoring (status) {ok}", 300) == {
        (("__name__", "http_requests_total"), ("route", "/order")): 90.0  # filter keeps the name
    }
    with pytest.raises(EvalError, match="duplicate series"):  # two right-hand series per route
        evaluate(f"{ok} == bool ignoring (route) {ok}", db, 300)


def test_set_operators_and_absent_vector_scalar_time() -> None:
    db = db_with(*REQUESTS, ("up", "1x30"))
    ok = 'http_requests_total{status="200"}'
    five = 'http_requests_total{status="500"}'
    assert len(vec(db, f"{ok} and on (route) {five}", 0)) == 1
    assert len(vec(db, f"{ok} unless on (route) {five}", 0)) == 1
    assert len(vec(db, f"{ok} or {five}", 0)) == 3
    assert vec(db, 'absent(nope{job="x"})', 0) == {(("job", "x"),): 1.0}
    assert vec(db, "absent(up)", 0) == {}
    assert vec(db, "vector(3)", 0) == {(): 3.0}
    assert evaluate("scalar(up)", db, 0) == 1.0
    assert evaluate("time()", db, 42) == 42.0
    assert one(db, "clamp_max(up * 5, 2)", 0) == 2.0
    assert one(db, "abs(-up)", 0) == 1.0


def test_functions_that_drop_the_name_refuse_clashing_results() -> None:
    db = db_with(("a_total", "0+1x10"), ("b_total", "0+2x10"))
    with pytest.raises(EvalError, match="same labelset"):
        evaluate('rate({__name__=~"a_total|b_total"}[1m])', db, 60)


# --- refused constructs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "named"),
    [
        ("histogram_count(up)", "native histograms"),
        ("mad_over_time(up[5m])", "experimental"),
        ("limitk(2, up)", "experimental"),
        ("up + fill(0) up", "`fill`"),
        ("nosuchfunction(up)", "nosuchfunction"),
        ('up{job="a" or job="b"}', "`or` inside"),
        ("up[5m]", "range vector"),
        ("max_over_time(up[5m])[10m:1m]", "range vector"),
        ('"text"', "string literal"),
        ("up{", "invalid PromQL"),
    ],
)
def test_refused_constructs_name_what_is_refused(expr: str, named: str) -> None:
    with pytest.raises(ConfigError) as err:
        compile_expr(expr, "alerting.rules[0].expr")
    assert err.value.field == "alerting.rules[0].expr"
    assert named in str(err.value)
    if "invalid" not in named and "nosuch" not in named:
        assert "not supported" in str(err.value)

"""The in-memory store: scrapes kept as exposed, lookback, staleness, retention, promtool input."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from harness.alerting import TSDB, ExpositionError, evaluate
from harness.alerting.promtool import MISSING, STALE, expand_values, load_series, parse_series
from harness.errors import ConfigError


def names(db: TSDB, expr: str, t: float) -> list[dict[str, str]]:
    value = evaluate(expr, db, t)
    assert isinstance(value, list)
    return sorted((dict(labels) for labels, _ in value), key=lambda d: sorted(d.items()))


def test_exposition_keeps_sample_names_as_exposed() -> None:
    registry = CollectorRegistry()
    Counter("pizza_orders", "", ["kind"], registry=registry).labels(kind="fail").inc(3)
    Histogram("lat_seconds", "", buckets=(0.5, 1), registry=registry).observe(0.7)
    db = TSDB()
    n = db.ingest_exposition(generate_latest(registry).decode(), 10, {"job": "svc"})
    assert n >= 7
    assert evaluate("pizza_orders_total", db, 10) == [
        ((("__name__", "pizza_orders_total"), ("job", "svc"), ("kind", "fail")), 3.0)
    ]
    buckets = evaluate("lat_seconds_bucket", db, 10)
    assert isinstance(buckets, list)
    assert sorted((dict(k)["le"], v) for k, v in buckets) == [
        ("+Inf", 1.0),
        ("0.5", 0.0),
        ("1.0", 1.0),
    ]
    assert evaluate("lat_seconds_count", db, 10) == [
        ((("__name__", "lat_seconds_count"), ("job", "svc")), 1.0)
    ]
    assert names(db, "lat_seconds_sum", 10) == [{"__name__": "lat_seconds_sum", "job": "svc"}]
    assert names(db, "up", 10) == [{"__name__": "up", "job": "svc"}]


def test_target_labels_win_and_exposed_ones_are_kept_as_exported() -> None:
    db = TSDB()
    db.ingest_exposition('x{job="inner"} 1\n', 0, {"job": "outer"})
    assert names(db, "x", 0) == [{"__name__": "x", "exported_job": "inner", "job": "outer"}]


def test_bad_exposition_stores_nothing() -> None:
    db = TSDB()
    with pytest.raises(ExpositionError):
        db.ingest_exposition("x 1\ny{ 2\n", 0)
    assert db.series() == []


def test_instant_selector_looks_back_five_minutes_left_open() -> None:
    db = TSDB()
    db.ingest("g", {}, 1.0, 100)
    assert evaluate("g", db, 100) != []
    assert evaluate("g", db, 399.999) != []
    assert evaluate("g", db, 400) == []  # (100, 400]: the sample at exactly t - 5m is out
    assert evaluate("g", db, 99) == []  # nothing from the future


def test_a_series_missing_from_the_next_scrape_goes_stale() -> None:
    db = TSDB()
    db.ingest_exposition("a 1\nb 2\n", 0, {"job": "svc"})
    db.ingest_exposition("a 1\n", 10, {"job": "svc"})
    assert names(db, "b", 5) == [{"__name__": "b", "job": "svc"}]
    assert names(db, "b", 10) == []  # stale at 10, though its last value is within 5 m
    db.ingest_exposition("a 1\nb 3\n", 20, {"job": "svc"})
    assert evaluate("b", db, 20) == [((("__name__", "b"), ("job", "svc")), 3.0)]


def test_a_failed_scrape_marks_the_target_down_and_its_series_stale() -> None:
    db = TSDB()
    db.ingest_exposition("a 1\n", 0, {"job": "svc"})
    db.scrape_failed(10, {"job": "svc"})
    assert evaluate("a", db, 10) == []
    assert evaluate("up", db, 10) == [((("__name__", "up"), ("job", "svc")), 0.0)]


def test_staleness_markers_from_promtool_notation() -> None:
    db = TSDB()
    load_series(db, "g", "1 2 stale _ 5", 60)
    assert evaluate("g", db, 60) == [((("__name__", "g"),), 2.0)]
    assert evaluate("g", db, 120) == []
    assert evaluate("g", db, 180) == []  # `_` writes nothing: still stale
    assert evaluate("count_over_time(g[10m])", db, 240) == [((), 3.0)]  # markers not counted


def test_out_of_order_and_duplicate_samples_are_rejected() -> None:
    db = TSDB()
    db.ingest("g", {}, 1, 10)
    db.ingest("g", {}, 2, 5)
    db.ingest("g", {}, 3, 10)
    assert db.rejected == 2
    assert evaluate("g", db, 10) == [((("__name__", "g"),), 1.0)]


def test_retention_drops_old_samples() -> None:
    db = TSDB(retention_s=600)
    load_series(db, "g", "0+1x120", 10)  # 0..1200 s
    (series,) = db.series()
    assert series.ts[0] >= (1200 - 600) * 1000 - 60_000  # pruned at most a minute late
    db.prune()
    assert series.ts[0] == 600_000
    with pytest.raises(ConfigError) as err:
        TSDB(retention_s=60)
    assert err.value.field == "retention_s"


def test_promtool_expanding_notation() -> None:
    assert expand_values("-2+4x3") == [-2, 2, 6, 10]
    assert expand_values(" 1-2x4") == [1, -1, -3, -5, -7]
    assert expand_values("1x4") == [1, 1, 1, 1, 1]
    assert expand_values("1 _x3 stale") == [1, MISSING, MISSING, MISSING, STALE]
    assert len(expand_values("0x30 1+1x30 31x60")) == 31 + 31 + 61
    assert parse_series('x_total{source="svc", a="b"}') == ("x_total", {"source": "svc", "a": "b"})
    for bad in ("1+x3", "abc", "1+2"):
        with pytest.raises(ConfigError):
            expand_values(bad)
    with pytest.raises(ConfigError):
        parse_series('x{a=~"b"}')

"""Range functions, timestamp, calendar and trigonometric functions and histogram_fraction,
checked against Prometheus's documentation examples (querying/functions)."""

from __future__ import annotations

import math

import pytest
from promql_support import db_with, labels, vec

from harness.alerting import TSDB, evaluate

JOB = labels(job="a")


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('absent_over_time(nonexistent{job="myjob"}[1h])', {labels(job="myjob"): 1}),
        ('absent_over_time(nonexistent{job="myjob",instance=~".*"}[1h])', {labels(job="myjob"): 1}),
        ('absent_over_time(sum(nonexistent{job="myjob"})[1h:])', {(): 1}),
        ('absent_over_time(x{job="a"}[1h])', {}),
    ],
)
def test_absent_over_time_documented_examples(expr: str, expected: dict) -> None:
    assert vec(db_with(('x{job="a"}', "1x10")), expr, 600) == expected


def test_deriv_and_predict_linear_fit_a_line() -> None:
    db = db_with(('disk_free{job="a"}', "1000-2x60"))  # loses 2 per minute
    assert vec(db, "deriv(disk_free[10m])", 1800) == {JOB: pytest.approx(-2 / 60)}
    # the doc's "will the disk be full in 4 hours": the value predicted 1 h ahead
    assert vec(db, "predict_linear(disk_free[30m], 3600)", 1800) == {
        JOB: pytest.approx(820)
    }  # 940 now, 2 per minute
    assert vec(db, "predict_linear(disk_free[30m], 3600) < 0", 1800) == {}


def test_quantile_stddev_stdvar_first_over_time() -> None:
    db = db_with(('x{job="a"}', "1 2 3 4 5"))
    assert vec(db, "quantile_over_time(0.5, x[10m])", 240) == {JOB: 3}
    assert vec(db, "quantile_over_time(0.75, x[10m])", 240) == {JOB: 4}
    assert vec(db, "stdvar_over_time(x[10m])", 240) == {JOB: pytest.approx(2)}
    assert vec(db, "stddev_over_time(x[10m])", 240) == {JOB: pytest.approx(math.sqrt(2))}
    assert vec(db, "first_over_time(x[10m])", 240) == {labels(__name__="x", job="a"): 1}


def test_timestamp_is_the_sample_s_time_not_the_evaluation_time() -> None:
    db = db_with(('x{job="a"}', "1 2 3"))
    assert vec(db, "timestamp(x)", 150) == {JOB: 120}
    assert vec(db, "time() - timestamp(x) > 60", 200) == {JOB: 80}  # the doc's staleness check
    assert vec(db, "timestamp(x offset 1m)", 150) == {JOB: 60}


def test_calendar_functions_are_utc() -> None:
    db = TSDB()
    t = 1_700_000_000  # Tuesday 2023-11-14 22:13:20 UTC
    cases = {
        "year": 2023,
        "month": 11,
        "day_of_month": 14,
        "day_of_week": 2,
        "day_of_year": 318,
        "days_in_month": 30,
        "hour": 22,
        "minute": 13,
    }
    for func, expected in cases.items():
        assert vec(db, f"{func}()", t) == {(): expected}, func
        assert vec(db, f"{func}(vector({t}))", 0) == {(): expected}, func
    assert vec(db, "days_in_month(vector(951782400))", 0) == {(): 29}  # February 2000


def test_trigonometry_and_pi() -> None:
    db = TSDB()
    assert evaluate("pi()", db, 0) == math.pi
    assert vec(db, "sin(vector(pi() / 2))", 0) == {(): 1}
    assert vec(db, "deg(vector(pi()))", 0) == {(): 180}
    assert vec(db, "rad(vector(180))", 0) == {(): math.pi}
    assert math.isnan(vec(db, "asin(vector(2))", 0)[()])
    assert vec(db, "atanh(vector(1))", 0) == {(): math.inf}


def test_histogram_fraction_on_classic_buckets() -> None:
    db = db_with(
        ('d_bucket{le="0.1"}', "0+1x60"),
        ('d_bucket{le="0.2"}', "0+3x60"),
        ('d_bucket{le="+Inf"}', "0+4x60"),
    )
    # The doc's "fraction of requests served within 200 ms" over the last hour.
    expr = "histogram_fraction(0, 0.2, rate(d_bucket[1h]))"
    assert vec(db, expr, 3600) == {(): pytest.approx(0.75)}
    assert vec(db, "histogram_fraction(0, 0.15, rate(d_bucket[1h]))", 3600) == {
        (): pytest.approx(0.5)
    }

"""`offset`, `@` and subqueries, checked against Prometheus's documentation examples
(prometheus.io/docs/prometheus/latest/querying/basics/#offset-modifier, #modifier, #subquery)."""

from __future__ import annotations

import pytest
from promql_support import db_with, labels, vec

GET = labels(__name__="http_requests_total", method="GET")
REQUESTS = ('http_requests_total{method="GET"}', "0+10x60")  # 10 per minute for an hour


def test_offset_reads_the_value_five_minutes_ago() -> None:
    db = db_with(REQUESTS)
    assert vec(db, "http_requests_total offset 5m", 1800) == {GET: 250}
    assert vec(db, 'sum(http_requests_total{method="GET"} offset 5m)', 1800) == {(): 250}


def test_offset_shifts_a_range_window_and_may_be_negative() -> None:
    db = db_with(REQUESTS)
    assert vec(db, "rate(http_requests_total[5m] offset 10m)", 1800) == {
        labels(method="GET"): pytest.approx(10 / 60)
    }
    # negative offset: looking forward in time (the doc's "offset -1w")
    assert vec(db, "http_requests_total offset -5m", 1800) == {GET: 350}


def test_at_pins_the_evaluation_time_whatever_the_query_time() -> None:
    db = db_with(REQUESTS)
    for t in (600, 1800, 3600):
        assert vec(db, "http_requests_total @ 1200", t) == {GET: 200}
        assert vec(db, 'sum(http_requests_total{method="GET"} @ 1200)', t) == {(): 200}
        assert vec(db, "rate(http_requests_total[5m] @ 1200)", t) == {
            labels(method="GET"): pytest.approx(10 / 60)
        }


def test_at_and_offset_combine_in_either_order() -> None:
    db = db_with(REQUESTS)
    one = vec(db, "http_requests_total @ 1200 offset 5m", 3000)
    assert one == vec(db, "http_requests_total offset 5m @ 1200", 3000) == {GET: 150}


def test_at_start_and_end_are_the_range_query_s_ends() -> None:
    db = db_with(REQUESTS)
    assert vec(db, "http_requests_total @ start()", 1800, start=600, end=2400) == {GET: 100}
    assert vec(db, "http_requests_total @ end()", 1800, start=600, end=2400) == {GET: 400}
    assert vec(db, "http_requests_total @ end()", 1800) == {GET: 300}  # an instant query


def test_subquery_evaluates_the_inner_expression_on_the_step_grid() -> None:
    # Doc: max_over_time(rate(x[5m])[30m:1m]); the rate doubles after 30 minutes.
    db = db_with(('x{job="a"}', "0+10x30 310+20x30"))
    assert vec(db, "max_over_time(rate(x[5m])[30m:1m])", 3600) == {
        labels(job="a"): pytest.approx(20 / 60)
    }
    assert vec(db, "min_over_time(rate(x[5m])[30m:1m])", 3600) == {
        labels(job="a"): pytest.approx(10 / 60)
    }
    # steps are the multiples of the step in (t - range, t]: 5 of them either way
    assert vec(db, "count_over_time(x[5m:1m])", 3630) == {labels(job="a"): 5}
    assert vec(db, "count_over_time(x[5m:1m])", 3600) == {labels(job="a"): 5}


def test_subquery_without_step_uses_the_evaluation_interval() -> None:
    db = db_with(('x{job="a"}', "0+1x60"))
    assert vec(db, "count_over_time(x[10m:])", 1800) == {labels(job="a"): 10}
    assert vec(db, "count_over_time(x[10m:])", 1800, interval_s=30) == {labels(job="a"): 20}


def test_subquery_offset_and_at_shift_the_whole_grid() -> None:
    db = db_with(('x{job="a"}', "0+1x60"))
    assert vec(db, "last_over_time(x[10m:1m] offset 20m)", 3000) == {
        labels(__name__="x", job="a"): 30
    }
    assert vec(db, "last_over_time(x[10m:1m] @ 600)", 3000) == {labels(__name__="x", job="a"): 10}

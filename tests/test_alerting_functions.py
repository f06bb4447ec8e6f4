"""PromQL functions, each checked against the examples of Prometheus's documentation
(prometheus.io/docs/prometheus/latest/querying/functions/)."""

from __future__ import annotations

import pytest
from promql_support import db_with, labels, vec

from harness.alerting import TSDB, EvalError, evaluate

# --- absent -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ('absent(nonexistent{job="myjob"})', labels(job="myjob")),
        ('absent(nonexistent{job="myjob",instance=~".*"})', labels(job="myjob")),
        ('absent(sum(nonexistent{job="myjob"}))', labels()),
        # A name matched more than once is left out, however many times (Prometheus's rule).
        ('absent(nonexistent{job="a",job="b",foo="bar"})', labels(foo="bar")),
        ('absent(nonexistent{job="a",job="b",job="c",foo="bar"})', labels(foo="bar")),
        ('absent(nonexistent{job!="a",job="b",foo="bar"})', labels(foo="bar")),
    ],
)
def test_absent_answers_the_labels_of_its_equality_matchers(expr: str, expected: object) -> None:
    assert vec(TSDB(), expr, 0) == {expected: 1.0}


def test_absent_of_a_present_series_is_empty() -> None:
    db = db_with(('up{job="myjob"}', "1"))
    assert vec(db, 'absent(up{job="myjob"})', 0) == {}


# --- histogram_quantile ------------------------------------------------------------------------


def test_histogram_quantile_of_two_histograms_with_one_label_set_is_an_error() -> None:
    # Buckets are grouped by all their labels but `le` (the name included), and the answer drops
    # the name: two histograms differing only in name collide (prometheus/prometheus#9910).
    db = TSDB()
    for name in ("request_duration_seconds_bucket", "request_duration_seconds2_bucket"):
        for le, count in (("0.1", 10), ("0.2", 30), ("+Inf", 40)):
            db.ingest(name, {"job": "job1", "le": le}, count, 0)
    with pytest.raises(EvalError, match="vector cannot contain metrics with the same labelset"):
        evaluate(
            'histogram_quantile(0.99, {__name__=~"request_duration_seconds\\\\d*_bucket"})', db, 0
        )
    one = vec(db, "histogram_quantile(0.5, request_duration_seconds_bucket)", 0)
    assert one == {labels(job="job1"): pytest.approx(0.15)}  # rank 20: 0.1 + 0.1 * (10 / 20)


# --- time ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("t", [0, 42, 42.0])
def test_time_is_a_float_scalar_whatever_number_the_caller_gives(t: float) -> None:
    assert vec(TSDB(), "vector(time())", t) == {(): float(t)}
    value = evaluate("time()", TSDB(), t)
    assert isinstance(value, float) and value == t

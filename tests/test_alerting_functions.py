"""PromQL functions, each checked against the examples of Prometheus's documentation
(prometheus.io/docs/prometheus/latest/querying/functions/)."""

from __future__ import annotations

import pytest

from harness.alerting import TSDB, evaluate
from harness.alerting.promtool import load_series


def db_with(*series: tuple[str, str], interval: float = 60.0) -> TSDB:
    db = TSDB(retention_s=86400)
    for name, values in series:
        load_series(db, name, values, interval)
    return db


def vec(db: TSDB, expr: str, t: float) -> dict[tuple[tuple[str, str], ...], float]:
    value = evaluate(expr, db, t)
    assert isinstance(value, list), f"{expr} gave a scalar"
    return dict(value)


def labels(**kv: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(kv.items()))


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

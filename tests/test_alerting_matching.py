"""Vector matching, checked against Prometheus's documentation (querying/operators: "Vector
matching"): one-to-one, many-to-one with group_left/group_right, and the errors."""

from __future__ import annotations

import pytest

from harness.alerting import TSDB, EvalError, evaluate
from harness.alerting.promtool import load_series


def db_with(*series: tuple[str, str]) -> TSDB:
    db = TSDB()
    for name, values in series:
        load_series(db, name, values, 60)
    return db


def vec(db: TSDB, expr: str, t: float = 0.0) -> dict[tuple[tuple[str, str], ...], float]:
    value = evaluate(expr, db, t)
    assert isinstance(value, list), f"{expr} gave a scalar"
    return dict(value)


def labels(**kv: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(kv.items()))


MANY_TO_ONE = (
    ('many_side{label="foo", job="test"}', "0"),
    ('many_side{label="bar", job="test"}', "1"),
    ('one_side{job="test"}', "1"),
)


@pytest.mark.parametrize("op", [">", ">=", "<="])  # 0, 1 and 2 left elements survive the filter
def test_one_to_one_refuses_two_matches_even_when_the_comparison_filters_them(op: str) -> None:
    # Prometheus: many-to-one matching must be asked for with group_left, whatever survives.
    db = db_with(*MANY_TO_ONE)
    with pytest.raises(EvalError, match="many-to-one matching must be explicit"):
        evaluate(f"many_side {op} on(job) one_side", db, 0)


def test_duplicates_on_the_one_side_are_named_in_prometheus_s_words() -> None:
    db = db_with(('dup_metric{label="alpha"}', "1"), ('dup_metric{label="beta"}', "2"), ("s", "3"))
    with pytest.raises(EvalError) as err:
        evaluate("s > on() dup_metric", db, 0)
    assert str(err.value).startswith(
        "found duplicate series for the match group {} on the right hand-side of the operation: "
        '[{__name__="dup_metric", label="alpha"}, {__name__="dup_metric", label="beta"}];'
        "many-to-many matching not allowed: matching labels must be unique on one side"
    )

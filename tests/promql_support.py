"""Helpers for the PromQL tests (this module holds no tests): series in promtool notation loaded
into a TSDB, and an instant query's answer as {labels: value}."""

from __future__ import annotations

from harness.alerting import TSDB, evaluate
from harness.alerting.promtool import load_series


def db_with(*series: tuple[str, str], interval: float = 60.0) -> TSDB:
    db = TSDB(retention_s=10**9)
    for name, values in series:
        load_series(db, name, values, interval)
    return db


def vec(db: TSDB, expr: str, t: float, **kw: float) -> dict[tuple[tuple[str, str], ...], float]:
    value = evaluate(expr, db, t, **kw)
    assert isinstance(value, list), f"{expr} gave a scalar"
    return dict(value)


def labels(**kv: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(kv.items()))

"""Helpers for the Grafana-rule tests: a one-rule export built in code, synthetic series, and a
run of the Grafana engine on its evaluation grid."""

from __future__ import annotations

from typing import Any

from harness.alerting.engine import AlertTransition
from harness.alerting.grafana.load import GrafanaRules, load_grafana_document
from harness.alerting.grafana.state import GrafanaEngine, StateChange
from harness.alerting.tsdb import TSDB


def query(ref: str, expr: str, *, instant: bool = True, window: int = 600) -> dict[str, Any]:
    return {
        "refId": ref,
        "relativeTimeRange": {"from": window, "to": 0},
        "datasourceUid": "prom",
        "model": {"datasource": {"type": "prometheus", "uid": "prom"}, "expr": expr,
                  "instant": instant, "range": not instant, "intervalMs": 15000, "refId": ref},
    }  # fmt: skip


def expression(ref: str, kind: str, **model: Any) -> dict[str, Any]:
    return {"refId": ref, "datasourceUid": "__expr__", "model": {"type": kind, **model}}


def reduce(ref: str, source: str, reducer: str = "last", mode: str = "") -> dict[str, Any]:
    settings = {"mode": mode} if mode else {}
    return expression(ref, "reduce", expression=source, reducer=reducer, settings=settings)


def threshold(
    ref: str, source: str, kind: str, *params: float, recovery: tuple[str, float] | None = None
) -> dict[str, Any]:
    cond: dict[str, Any] = {"evaluator": {"type": kind, "params": list(params)}}
    if recovery is not None:
        cond["unloadEvaluator"] = {"type": recovery[0], "params": [recovery[1]]}
    return expression(ref, "threshold", expression=source, conditions=[cond])


def export(*rules: dict[str, Any], interval: str = "30s") -> dict[str, Any]:
    return {
        "apiVersion": 1,
        "groups": [{"orgId": 1, "name": "jwt-pizza", "folder": "JWT Pizza", "interval": interval,
                    "rules": list(rules)}],
    }  # fmt: skip


def rule(title: str, data: list[dict[str, Any]], condition: str, **fields: Any) -> dict[str, Any]:
    return {"uid": title.lower().replace(" ", "-"), "title": title, "condition": condition,
            "data": data, **fields}  # fmt: skip


def failures_rule(**fields: Any) -> dict[str, Any]:
    """The course's rule: failures in the last minute, last, above `above` (default 2)."""
    above = fields.pop("above", 2)
    data = [
        query("A", "sum(increase(pizza_factory_failures_total[1m]))"),
        reduce("B", "A"),
        threshold("C", "B", "gt", above),
    ]
    return rule("Pizza creation failures", data, "C", **{"for": "1m", **fields})


def load(*rules: dict[str, Any]) -> GrafanaRules:
    return load_grafana_document(export(*rules), "test.yaml")


def counter(tsdb: TSDB, name: str, rises: list[tuple[float, float]], until: float) -> None:
    """A counter scraped every 15 s that rises by 1 a scrape inside each (start, end) span."""
    value, t = 0.0, 0.0
    while t <= until:
        if any(a <= t < b for a, b in rises):
            value += 1
        tsdb.ingest(name, {"job": "pizza-service"}, value, t)
        t += 15


def run(
    rules: GrafanaRules, tsdb: TSDB, until: float, start: float = 30.0
) -> tuple[list[AlertTransition], list[StateChange]]:
    engine = GrafanaEngine(rules.rules, tsdb)
    out: list[AlertTransition] = []
    t: float | None = start
    while t is not None and t <= until:
        out += engine.evaluate(t)
        t = engine.next_due()
    return out, engine.changes


def states(changes: list[StateChange]) -> list[tuple[float, str]]:
    return [(c.t, c.state_to) for c in changes]

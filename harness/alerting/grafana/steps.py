"""Compiling one rule's `data` entries (queries and server-side expressions) into steps, refusing
what the harness cannot judge with the rule's title, the refId and what to do instead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.alerting.grafana.mathparse import MathSyntaxError, parse_math, variables
from harness.alerting.grafana.model import AlertQuery
from harness.alerting.grafana.reducers import (
    CLASSIC,
    CLASSIC_EVALUATORS,
    MODES,
    REDUCERS,
    THRESHOLDS,
)
from harness.alerting.grafana.rule import (
    ClassicCondition,
    ClassicNode,
    Evaluator,
    MathNode,
    QueryNode,
    ReduceNode,
    Step,
    ThresholdNode,
)
from harness.alerting.syntax import compile_expr
from harness.errors import ConfigError

EXPRESSION_UIDS = ("__expr__", "-100")  # the server-side expressions "data source"
EXPRESSION_TYPES = ("reduce", "math", "threshold", "classic_conditions")
DEFAULT_MAX_POINTS = 43200
DEFAULT_INTERVAL_MS = 1000


def compile_steps(
    data: list[AlertQuery], who: str, where: str, interval_s: float, min_step_s: float
) -> list[Step]:
    steps: list[Step] = []
    for i, q in enumerate(data):
        here = f"{where}.data[{i}]"
        if any(s.ref_id == q.ref_id for s in steps):
            raise ConfigError(f"{here}.refId", f"{who}: refId {q.ref_id} is used twice")
        ctx = _Ctx(who, here, q.ref_id)
        steps.append(_expression(q, ctx) if _is_expression(q) else _query(q, ctx, min_step_s))
    if not steps:
        raise ConfigError(f"{where}.data", f"{who} has no queries")
    return steps


class _Ctx:
    def __init__(self, who: str, where: str, ref_id: str) -> None:
        self.who, self.where, self.ref_id = who, where, ref_id

    def refuse(self, what: str, fix: str, key: str = "model") -> ConfigError:
        return ConfigError(
            f"{self.where}.{key}", f"{self.who}, refId {self.ref_id}: {what}", fix=fix
        )


def _is_expression(q: AlertQuery) -> bool:
    ds = q.model.get("datasource")
    ds_uid = ds.get("uid") if isinstance(ds, Mapping) else None
    return q.datasource_uid in EXPRESSION_UIDS or ds_uid in EXPRESSION_UIDS


def _query(q: AlertQuery, ctx: _Ctx, min_step_s: float) -> QueryNode:
    ds = q.model.get("datasource")
    kind = ds.get("type") if isinstance(ds, Mapping) else None
    uid = q.datasource_uid.lower()
    if kind not in (None, "prometheus") or (kind is None and ("loki" in uid or "logs" in uid)):
        raise ctx.refuse(
            f"data source {kind or q.datasource_uid!r} is not Prometheus; the harness judges "
            "PromQL queries only",
            "alert on a Prometheus metric (e.g. count the errors your "
            "service counts as a metric) or judge this rule in Grafana itself",
        )
    expr = q.model.get("expr")
    if not isinstance(expr, str) or not expr.strip():
        raise ctx.refuse("the query has no PromQL `expr`", "write the query in code mode")
    node = compile_expr(expr, f"{ctx.where}.model.expr", f"{ctx.who}, refId {ctx.ref_id}")
    instant = bool(q.model.get("instant")) and not q.model.get("range")
    from_s, to_s = float(q.relative_time_range.from_s), float(q.relative_time_range.to_s)
    if to_s > from_s or (not instant and from_s == to_s):
        raise ctx.refuse(
            f"time range from {from_s:g}s to {to_s:g}s ago is empty",
            "give the query a time range (e.g. from 600 to 0)",
            "relativeTimeRange",
        )
    interval_ms = _number(q.model.get("intervalMs", DEFAULT_INTERVAL_MS), ctx, "intervalMs")
    points = _number(q.model.get("maxDataPoints", DEFAULT_MAX_POINTS), ctx, "maxDataPoints")
    step = max(interval_ms / 1000, min_step_s, (from_s - to_s) / max(points, 1))
    return QueryNode(q.ref_id, q.datasource_uid, expr, node, instant, from_s, to_s, step)


def _number(value: object, ctx: _Ctx, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ctx.refuse(
            f"{key} must be a positive number, got {value!r}", f"fix {key}", f"model.{key}"
        )
    return float(value)


def _expression(q: AlertQuery, ctx: _Ctx) -> Step:
    m = q.model
    kind = m.get("type")
    if kind == "reduce":
        return _reduce(m, ctx)
    if kind == "math":
        text = m.get("expression")
        if not isinstance(text, str):
            raise ctx.refuse("math needs an `expression` such as `$A > 3`", "write one")
        try:
            tree = parse_math(text)
        except MathSyntaxError as exc:
            raise ctx.refuse(f"math expression {text!r}: {exc}", "fix the expression") from None
        return MathNode(ctx.ref_id, text, tree, frozenset(variables(tree)))
    if kind == "threshold":
        return _threshold(m, ctx)
    if kind == "classic_conditions":
        return ClassicNode(ctx.ref_id, tuple(_classic(c, ctx) for c in _list(m, "conditions", ctx)))
    raise ctx.refuse(
        f"expression type {kind!r} cannot be judged (only {', '.join(EXPRESSION_TYPES)})",
        "rewrite it with reduce, math and threshold (e.g. a PromQL range function instead of "
        "resample)",
    )


def _input(m: Mapping[str, Any], ctx: _Ctx) -> str:
    ref = m.get("expression")
    if not isinstance(ref, str) or not ref.strip().lstrip("$"):
        raise ctx.refuse("the expression names no input refId", "set `expression` to e.g. A")
    return ref.strip().lstrip("$").strip("{}")


def _reduce(m: Mapping[str, Any], ctx: _Ctx) -> ReduceNode:
    reducer = m.get("reducer")
    if reducer not in REDUCERS:
        raise ctx.refuse(
            f"reducer {reducer!r} is not one of {', '.join(REDUCERS)}", "pick one Grafana offers"
        )
    settings = m.get("settings") or {}
    mode = settings.get("mode", "") if isinstance(settings, Mapping) else ""
    if mode not in MODES:
        raise ctx.refuse(f"reduce mode {mode!r} is not strict, dropNN or replaceNN", "pick one")
    replace = settings.get("replaceWithValue", 0) if isinstance(settings, Mapping) else 0
    if mode == "replaceNN" and not isinstance(replace, int | float):
        raise ctx.refuse("replaceNN needs a number in `replaceWithValue`", "set one")
    return ReduceNode(ctx.ref_id, _input(m, ctx), reducer, mode, float(replace or 0))


def _list(m: Mapping[str, Any], key: str, ctx: _Ctx) -> list[Any]:
    value = m.get(key)
    if not isinstance(value, list) or not value:
        raise ctx.refuse(f"`{key}` must be a non-empty list", f"give at least one of {key}")
    return value


def _evaluator(raw: object, ctx: _Ctx, known: Mapping[str, Any] | set[str]) -> Evaluator:
    if not isinstance(raw, Mapping) or raw.get("type") not in known:
        raise ctx.refuse(
            f"evaluator {raw!r} is not one of {', '.join(sorted(known))}",
            "pick a Grafana threshold type",
        )
    kind, params = raw["type"], raw.get("params") or []
    need = THRESHOLDS[kind][0] if kind in THRESHOLDS else 0
    if kind in ("gt", "lt", "ge", "le", "eq", "ne"):
        need = 1
    if not all(isinstance(p, int | float) for p in params) or len(params) < need:
        raise ctx.refuse(f"evaluator {kind} needs {need} number(s), got {params!r}", "fix params")
    return Evaluator(kind, tuple(float(p) for p in params[: max(need, 0)]))


def _threshold(m: Mapping[str, Any], ctx: _Ctx) -> ThresholdNode:
    cond = _list(m, "conditions", ctx)[0]
    if not isinstance(cond, Mapping):
        raise ctx.refuse("a threshold condition must be a mapping", "re-export the rule")
    evaluator = _evaluator(cond.get("evaluator"), ctx, THRESHOLDS)
    unload = cond.get("unloadEvaluator")
    recovery = None if unload is None else _evaluator(unload, ctx, THRESHOLDS)
    return ThresholdNode(ctx.ref_id, _input(m, ctx), evaluator, recovery)


def _classic(c: object, ctx: _Ctx) -> ClassicCondition:
    if not isinstance(c, Mapping):
        raise ctx.refuse("a classic condition must be a mapping", "re-export the rule")
    query = (c.get("query") or {}).get("params") or []
    reducer = (c.get("reducer") or {}).get("type")
    operator = (c.get("operator") or {}).get("type", "and")
    if not query or not isinstance(query[0], str):
        raise ctx.refuse("a classic condition names no query", "pick the query it reads")
    if reducer not in CLASSIC:
        raise ctx.refuse(
            f"classic reducer {reducer!r} is not one of {', '.join(CLASSIC)}",
            "pick one Grafana offers",
        )
    if operator not in ("and", "or"):
        raise ctx.refuse(f"classic operator {operator!r} is not and/or", "use and or or")
    evaluator = _evaluator(c.get("evaluator"), ctx, CLASSIC_EVALUATORS)
    return ClassicCondition(query[0], reducer, evaluator, operator)

"""Evaluate a PromQL expression at one time over the in-memory TSDB (Prometheus 3 semantics).

`evaluate(expr, tsdb, t)` returns an instant vector (a list of (labels, value)) or a float for a
scalar expression. `expr` is a string (compiled on the way, ConfigError if refused) or a tree
from `compile_expr`. docs/promql.md lists what is supported; by family:
- selectors and time shifts (`offset`, `@`, subqueries `[range:step]`): here;
- range functions (rate, *_over_time, deriv, ...): functions.py;
- functions of one value (math, trigonometry, calendar): value_functions.py;
- label_replace, label_join, sort: label_functions.py; histogram_quantile/fraction: quantile.py;
- aggregations: aggregations.py; binary operators and vector matching: binops.py.
Instant selectors look back 5 m; range windows are left-open (t - d, t]. `__name__` is dropped
where Prometheus drops it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from harness.alerting import binops, label_functions
from harness.alerting.aggregations import aggregate
from harness.alerting.binops import EvalError, Vector
from harness.alerting.functions import KEEPS_NAME, PARAM_RANGE_FUNCS, RANGE_FUNCS
from harness.alerting.nodes import (
    Aggregate,
    At,
    Binary,
    Call,
    Negate,
    Node,
    Number,
    RangeSelector,
    Selector,
    String,
    Subquery,
)
from harness.alerting.quantile import histogram_fraction, histogram_quantile
from harness.alerting.syntax import compile_expr
from harness.alerting.tsdb import TSDB, Labels, drop_name, make_labels, to_ms
from harness.alerting.value_functions import DATE_FUNCS, MATH_FUNCS, round_to

__all__ = ["EvalError", "Value", "Vector", "evaluate"]

Value = Vector | float
Matrix = list[tuple[Labels, list[tuple[int, float]]]]
SUBQUERY_STEP_S = 60.0  # a subquery without `:step` uses the evaluation interval: 1 m


def evaluate(
    expr: str | Node,
    tsdb: TSDB,
    t: float,
    start: float | None = None,
    end: float | None = None,
    interval_s: float = SUBQUERY_STEP_S,
) -> Value:
    """`start`/`end`: what `@ start()` / `@ end()` mean (a range query's ends; default t)."""
    node = compile_expr(expr) if isinstance(expr, str) else expr
    t = float(t)  # an int t would make time() a non-float
    bounds = (t if start is None else float(start), t if end is None else float(end))
    return _Evaluator(tsdb, t, bounds, interval_s).eval(node)


class _Evaluator:
    def __init__(
        self, tsdb: TSDB, t: float, bounds: tuple[float, float], interval_s: float
    ) -> None:
        self.tsdb = tsdb
        self.t = t
        self.bounds = bounds
        self.interval_s = interval_s

    def at(self, t: float) -> _Evaluator:
        return _Evaluator(self.tsdb, t, self.bounds, self.interval_s)

    def shifted(self, at: At, offset_s: float) -> float:
        """The time a selector or subquery reads at: its `@` time (or now) minus its offset."""
        if at is None:
            return self.t - offset_s
        if isinstance(at, str):
            return self.bounds[0 if at == "start" else 1] - offset_s
        return at - offset_s

    def eval(self, node: Node) -> Value:
        if isinstance(node, Number):
            return node.value
        if isinstance(node, Selector):
            return self.tsdb.select(node.matchers, self.shifted(node.at, node.offset_s))
        if isinstance(node, Negate):
            inner = self.eval(node.expr)
            if isinstance(inner, float):
                return -inner
            return _unique([(drop_name(labels), -v) for labels, v in inner], "unary minus")
        if isinstance(node, Aggregate):
            return self.aggregate(node)
        if isinstance(node, Binary):
            return self.binary(node)
        if isinstance(node, Call):
            return self.call(node)
        raise EvalError(f"a range vector cannot be evaluated on its own: {node}")

    def vector(self, node: Node) -> Vector:
        value = self.eval(node)
        if isinstance(value, float):
            raise EvalError(f"expected an instant vector, got a scalar: {node}")
        return value

    def scalar(self, node: Node) -> float:
        value = self.eval(node)
        if not isinstance(value, float):
            raise EvalError(f"expected a scalar, got an instant vector: {node}")
        return value

    def matrix(self, node: Node) -> tuple[Matrix, int, int]:
        """A range selector's or subquery's series with their points; the window's end and range."""
        if isinstance(node, RangeSelector):
            sel = node.selector
            end = self.shifted(sel.at, sel.offset_s)
            series = self.tsdb.select_range(sel.matchers, end, node.range_s)
            return series, to_ms(end), to_ms(node.range_s)
        if isinstance(node, Subquery):
            return self.subquery(node)
        raise EvalError(f"expected a range vector, got {node}")

    def subquery(self, node: Subquery) -> tuple[Matrix, int, int]:
        """The inner expression at each multiple of the step in (end - range, end]."""
        end_ms, range_ms = to_ms(self.shifted(node.at, node.offset_s)), to_ms(node.range_s)
        step_ms = to_ms(node.step_s or self.interval_s)
        t_ms = step_ms * ((end_ms - range_ms) // step_ms)
        if t_ms <= end_ms - range_ms:
            t_ms += step_ms
        series: dict[Labels, list[tuple[int, float]]] = {}
        while t_ms <= end_ms:
            value = self.at(t_ms / 1000).eval(node.expr)
            for labels, v in [((), value)] if isinstance(value, float) else value:
                series.setdefault(labels, []).append((t_ms, v))
            t_ms += step_ms
        return list(series.items()), end_ms, range_ms

    def aggregate(self, node: Aggregate) -> Vector:
        param: float | str | None = None
        if isinstance(node.param, String):
            param = node.param.value
        elif node.param is not None:
            param = self.scalar(node.param)
        return _unique(aggregate(node, self.vector(node.expr), param), node.op)

    def binary(self, node: Binary) -> Value:
        lhs, rhs = self.eval(node.lhs), self.eval(node.rhs)
        if isinstance(lhs, float) and isinstance(rhs, float):
            return binops.scalar_op(node.op, lhs, rhs)
        if isinstance(rhs, float):
            assert not isinstance(lhs, float)
            out = binops.vector_scalar(node, lhs, rhs, scalar_left=False)
        elif isinstance(lhs, float):
            out = binops.vector_scalar(node, rhs, lhs, scalar_left=True)
        else:
            out = binops.vector_vector(node, lhs, rhs)
        return _unique(out, f"operator {node.op}")

    def call(self, node: Call) -> Value:
        name, args = node.func, node.args
        if name in RANGE_FUNCS or name in PARAM_RANGE_FUNCS:
            return self.range_call(name, args)
        if name in MATH_FUNCS:
            return self.each(name, self.vector(args[0]), MATH_FUNCS[name])
        if name in DATE_FUNCS:
            vec: Vector = self.vector(args[0]) if args else [((), self.t)]
            return self.each(name, vec, DATE_FUNCS[name])
        simple = self.SIMPLE.get(name)
        if simple is not None:
            return simple(self, args)
        if name in ("label_replace", "label_join"):
            return self.label_call(name, args)
        return self.clamp_or_round(name, args)

    def timestamp(self, args: tuple[Node, ...]) -> Vector:
        """The sample's own time for a selector, else the evaluation time (as Prometheus)."""
        sel = args[0]
        if isinstance(sel, Selector):
            at = self.shifted(sel.at, sel.offset_s)
            samples = self.tsdb.select_samples(sel.matchers, at)
            return [(drop_name(labels), t_ms / 1000) for labels, t_ms, _ in samples]
        return [(drop_name(labels), self.t) for labels, _ in self.vector(sel)]

    def absent_over_time(self, args: tuple[Node, ...]) -> Vector:
        series, _, _ = self.matrix(args[0])
        if series:
            return []
        sel = args[0].selector if isinstance(args[0], RangeSelector) else args[0]
        return [(_absent_labels(sel), 1.0)]

    SIMPLE: dict[str, Callable[[_Evaluator, tuple[Node, ...]], Value]] = {
        "time": lambda self, args: self.t,
        "pi": lambda self, args: math.pi,
        "vector": lambda self, args: [((), self.scalar(args[0]))],
        "scalar": lambda self, args: _scalar(self.vector(args[0])),
        "timestamp": timestamp,
        "absent": lambda self, args: (
            [] if self.vector(args[0]) else [(_absent_labels(args[0]), 1.0)]
        ),
        "absent_over_time": absent_over_time,
        "histogram_quantile": lambda self, args: _unique(
            histogram_quantile(self.scalar(args[0]), self.vector(args[1])), "histogram_quantile"
        ),
        "histogram_fraction": lambda self, args: _unique(
            histogram_fraction(self.scalar(args[0]), self.scalar(args[1]), self.vector(args[2])),
            "histogram_fraction",
        ),
        "sort": lambda self, args: label_functions.sort_by_value(self.vector(args[0]), False),
        "sort_desc": lambda self, args: label_functions.sort_by_value(self.vector(args[0]), True),
    }

    def label_call(self, name: str, args: tuple[Node, ...]) -> Vector:
        vec = self.vector(args[0])
        texts = [a.value for a in args[1:] if isinstance(a, String)]
        if name == "label_replace":
            dst, replacement, src, regex = texts
            return _unique(label_functions.label_replace(vec, dst, replacement, src, regex), name)
        return _unique(label_functions.label_join(vec, texts[0], texts[1], texts[2:]), name)

    def clamp_or_round(self, name: str, args: tuple[Node, ...]) -> Vector:
        vec = self.vector(args[0])
        params = [self.scalar(a) for a in args[1:]]
        if name == "round":
            nearest = params[0] if params else 1.0
            return self.each(name, vec, lambda x: round_to(x, nearest))
        lo, hi = {
            "clamp": lambda: (params[0], params[1]),
            "clamp_min": lambda: (params[0], math.inf),
            "clamp_max": lambda: (-math.inf, params[0]),
        }[name]()
        if hi < lo:
            return []
        if math.isnan(lo) or math.isnan(hi):
            return self.each(name, vec, lambda x: math.nan)
        return self.each(name, vec, lambda x: max(lo, min(hi, x)) if not math.isnan(x) else x)

    def each(self, name: str, vec: Vector, fn: Callable[[float], float]) -> Vector:
        return _unique([(drop_name(labels), fn(v)) for labels, v in vec], f"{name}()")

    def range_call(self, name: str, args: tuple[Node, ...]) -> Vector:
        if name in PARAM_RANGE_FUNCS:
            param_fn = PARAM_RANGE_FUNCS[name]
            param = self.scalar(args[0] if name == "quantile_over_time" else args[1])
            source = args[1] if name == "quantile_over_time" else args[0]
            fn = lambda p, end, r: param_fn(p, to_ms(self.t), param)  # noqa: E731
        else:
            fn, source = RANGE_FUNCS[name], args[0]
        series, end_ms, range_ms = self.matrix(source)
        out: Vector = []
        for labels, points in series:
            value = fn(points, end_ms, range_ms) if points else None
            if value is not None:
                out.append((labels if name in KEEPS_NAME else drop_name(labels), value))
        return _unique(out, f"{name}()")


def _scalar(vec: Vector) -> float:
    return vec[0][1] if len(vec) == 1 else math.nan


def _absent_labels(node: Node) -> Labels:
    """absent(): the labels of the selector's equality matchers (not `__name__`), if a selector.

    As Prometheus's createLabelsForAbsentFunction: a name matched twice, or not by `=`, is left
    out, and stays out however many more `=` matchers name it.
    """
    if not isinstance(node, Selector):
        return ()
    out: dict[str, str] = {}
    seen: set[str] = set()
    for m in node.matchers:
        if m.name == "__name__":
            continue
        if m.op == "=" and m.name not in seen:
            out[m.name] = m.value
        else:
            out.pop(m.name, None)
        seen.add(m.name)
    return make_labels(out)


def _unique(vec: Vector, what: str) -> Vector:
    seen: set[Labels] = set()
    for labels, _ in vec:
        if labels in seen:
            raise EvalError(
                f"vector cannot contain metrics with the same labelset: {dict(labels)} "
                f"(after {what})"
            )
        seen.add(labels)
    return vec

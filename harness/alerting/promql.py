"""Evaluate a PromQL expression at one scenario time over the in-memory TSDB.

`evaluate(expr, tsdb, t)` returns an instant vector (a list of (labels, value)) or a float for a
scalar expression. `expr` is a string (compiled on the way, ConfigError if refused) or a tree
from `compile_expr`. What is supported, in one place:
- selectors with `= != =~ !~` (regex fully anchored); instant selectors look back 5 m;
  range selectors `x[d]` read the left-open window (t - d, t] (Prometheus 3);
- range functions: rate, increase, delta (Prometheus's extrapolation), irate, idelta,
  avg/sum/max/min/count/last/present_over_time, changes, resets;
- abs ceil floor sgn exp sqrt ln log2 log10, clamp clamp_min clamp_max round, vector scalar
  time absent, histogram_quantile (classic buckets);
- sum avg max min count group, with `by (...)` / `without (...)`;
- + - * / % ^ atan2, == != > < >= <= (filtering, or 1/0 with `bool`), and or unless,
  one-to-one matching with optional `on (...)` / `ignoring (...)`, unary minus, parentheses.
`__name__` is dropped where Prometheus drops it: functions (but last_over_time), arithmetic,
`bool` comparisons, unary minus and aggregations.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from harness.alerting import binops
from harness.alerting.binops import EvalError, Vector
from harness.alerting.functions import (
    KEEPS_NAME,
    MATH_FUNCS,
    RANGE_FUNCS,
    kahan_sum,
    mean,
    round_to,
)
from harness.alerting.nodes import (
    Aggregate,
    Binary,
    Call,
    Negate,
    Node,
    Number,
    RangeSelector,
    Selector,
)
from harness.alerting.quantile import histogram_quantile
from harness.alerting.syntax import compile_expr
from harness.alerting.tsdb import TSDB, Labels, drop_name, make_labels, to_ms

__all__ = ["EvalError", "Value", "Vector", "evaluate"]

Value = Vector | float


def evaluate(expr: str | Node, tsdb: TSDB, t: float) -> Value:
    node = compile_expr(expr) if isinstance(expr, str) else expr
    return _Evaluator(tsdb, float(t)).eval(node)  # an int t would make time() a non-float


class _Evaluator:
    def __init__(self, tsdb: TSDB, t: float) -> None:
        self.tsdb = tsdb
        self.t = t

    def eval(self, node: Node) -> Value:
        if isinstance(node, Number):
            return node.value
        if isinstance(node, Selector):
            return self.tsdb.select(node.matchers, self.t)
        if isinstance(node, Negate):
            inner = self.eval(node.expr)
            if isinstance(inner, float):
                return -inner
            return _unique([(drop_name(labels), -v) for labels, v in inner], "unary minus")
        if isinstance(node, Aggregate):
            return aggregate(node, self.vector(node.expr))
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
        if name in RANGE_FUNCS:
            return self.range_call(name, args[0])
        if name in MATH_FUNCS:
            return self.each(name, self.vector(args[0]), MATH_FUNCS[name])
        if name == "time":
            return self.t
        if name == "vector":
            return [((), self.scalar(args[0]))]
        if name == "scalar":
            vec = self.vector(args[0])
            return vec[0][1] if len(vec) == 1 else math.nan
        if name == "absent":
            return [] if self.vector(args[0]) else [(_absent_labels(args[0]), 1.0)]
        if name == "histogram_quantile":
            return _unique(histogram_quantile(self.scalar(args[0]), self.vector(args[1])), name)
        return self.clamp_or_round(name, args)

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

    def range_call(self, name: str, arg: Node) -> Vector:
        if not isinstance(arg, RangeSelector):
            raise EvalError(f"{name}() needs a range selector, got {arg}")
        fn = RANGE_FUNCS[name]
        t_ms, range_ms = to_ms(self.t), to_ms(arg.range_s)
        out: Vector = []
        for labels, points in self.tsdb.select_range(arg.selector.matchers, self.t, arg.range_s):
            value = fn(points, t_ms, range_ms)
            if value is not None:
                out.append((labels if name in KEEPS_NAME else drop_name(labels), value))
        return _unique(out, f"{name}()")


def aggregate(node: Aggregate, vec: Vector) -> Vector:
    groups: dict[Labels, list[float]] = {}
    for labels, value in vec:
        if node.without:
            key = tuple(kv for kv in labels if kv[0] != "__name__" and kv[0] not in node.labels)
        else:
            key = tuple(kv for kv in labels if kv[0] in node.labels)
        groups.setdefault(key, []).append(value)
    reduce = AGGREGATORS[node.op]
    return [(key, reduce(values)) for key, values in sorted(groups.items())]


def _max(values: list[float]) -> float:
    best = values[0]
    for v in values[1:]:
        if best < v or math.isnan(best):
            best = v
    return best


def _min(values: list[float]) -> float:
    best = values[0]
    for v in values[1:]:
        if best > v or math.isnan(best):
            best = v
    return best


AGGREGATORS: dict[str, Callable[[list[float]], float]] = {
    "sum": kahan_sum,
    "avg": mean,
    "max": _max,
    "min": _min,
    "count": lambda values: float(len(values)),
    "group": lambda values: 1.0,
}


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

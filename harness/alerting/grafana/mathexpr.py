"""Evaluating a math expression over numbers and series, as Grafana's math operation does.

- number OP number is a number, number OP series applies to every point, series OP series to
  every timestamp both have; a constant applies to every item;
- two variables are joined by labels (a union): an item without labels joins anything, equal
  labels join, labels that are a subset of the other's join (the result keeps the larger set),
  and two single items join whatever their labels; items that join nothing are dropped;
- comparisons and && || ! give 1 or 0; a null (None) operand gives null; division by zero gives
  +-Inf or NaN, as floats do in Go.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from harness.alerting.grafana.mathparse import Binary, Const, Expr, Func, Unary, Var
from harness.alerting.grafana.values import Item, Number, PipelineError, Results, Series, is_subset

Value = float | None
Operand = Results | Value  # a variable's items, or a constant


def _div(a: float, b: float) -> float:
    if b != 0:
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _pow(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except OverflowError:
        return math.inf
    except ValueError:
        return math.nan


def _truth(x: float) -> bool:
    return x != 0  # NaN is true, as in Go


BINARY: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _div,
    "%": lambda a, b: math.fmod(a, b) if b != 0 else math.nan,
    "**": _pow,
    "==": lambda a, b: float(a == b),
    "!=": lambda a, b: float(a != b),
    ">": lambda a, b: float(a > b),
    ">=": lambda a, b: float(a >= b),
    "<": lambda a, b: float(a < b),
    "<=": lambda a, b: float(a <= b),
    "&&": lambda a, b: float(_truth(a) and _truth(b)),
    "||": lambda a, b: float(_truth(a) or _truth(b)),
}

UNARY: dict[str, Callable[[float], float]] = {
    "-": lambda a: -a,
    "!": lambda a: float(a == 0),
    "abs": abs,
    "ceil": lambda a: float(math.ceil(a)) if math.isfinite(a) else a,
    "floor": lambda a: float(math.floor(a)) if math.isfinite(a) else a,
    "log": lambda a: math.nan if a < 0 else (-math.inf if a == 0 else math.log(a)),
    "round": lambda a: (
        float(math.floor(abs(a) + 0.5)) * math.copysign(1, a) if math.isfinite(a) else a
    ),
    "is_inf": lambda a: float(math.isinf(a)),
    "is_nan": lambda a: float(math.isnan(a)),
}
CONSTANTS: dict[str, Value] = {"inf": math.inf, "infn": -math.inf, "nan": math.nan, "null": None}


def evaluate_math(expr: Expr, variables: Mapping[str, Results], ref_id: str) -> Operand:
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Var):
        if expr.name not in variables:
            raise PipelineError(ref_id, f"the expression reads ${expr.name}, which has no result")
        return variables[expr.name]
    if isinstance(expr, Func) and expr.name in CONSTANTS:
        return CONSTANTS[expr.name]
    if isinstance(expr, Func | Unary):
        name = expr.name if isinstance(expr, Func) else expr.op
        arg = expr.args[0] if isinstance(expr, Func) else expr.arg
        return _apply1(name, evaluate_math(arg, variables, ref_id))
    assert isinstance(expr, Binary)
    lhs = evaluate_math(expr.lhs, variables, ref_id)
    return _apply2(expr.op, lhs, evaluate_math(expr.rhs, variables, ref_id))


def _value1(name: str, x: Value) -> Value:
    if name == "is_null":
        return float(x is None)
    if name == "is_number":
        return float(x is not None and math.isfinite(x))
    return None if x is None else UNARY[name](x)


def _apply1(name: str, operand: Operand) -> Operand:
    if not isinstance(operand, list):
        return _value1(name, operand)
    return [_map_item(item, lambda x: _value1(name, x)) for item in operand]


def _map_item(item: Item, fn: Callable[[Value], Value]) -> Item:
    if isinstance(item, Number):
        return Number(item.labels, fn(item.value))
    return Series(item.labels, tuple((t, fn(v)) for t, v in item.points))


def _value2(op: str, a: Value, b: Value) -> Value:
    return None if a is None or b is None else BINARY[op](a, b)


def _apply2(op: str, lhs: Operand, rhs: Operand) -> Operand:
    if not isinstance(lhs, list) and not isinstance(rhs, list):
        return _value2(op, lhs, rhs)
    if not isinstance(lhs, list):
        assert isinstance(rhs, list)
        return [_map_item(item, lambda x: _value2(op, lhs, x)) for item in rhs]
    if not isinstance(rhs, list):
        return [_map_item(item, lambda x: _value2(op, x, rhs)) for item in lhs]
    return [_join(op, a, b) for a, b in _union(lhs, rhs)]


def _union(lhs: Results, rhs: Results) -> list[tuple[Item, Item]]:
    pairs = [
        (a, b)
        for a in lhs
        for b in rhs
        if not a.labels
        or not b.labels
        or is_subset(a.labels, b.labels)
        or is_subset(b.labels, a.labels)
    ]
    if not pairs and len(lhs) == 1 and len(rhs) == 1:
        pairs = [(lhs[0], rhs[0])]
    return pairs


def _join(op: str, a: Item, b: Item) -> Item:
    labels = a.labels if len(a.labels) >= len(b.labels) else b.labels
    if isinstance(a, Number) and isinstance(b, Number):
        return Number(labels, _value2(op, a.value, b.value))
    if isinstance(a, Number) or isinstance(b, Number):
        number, series, number_left = (a, b, True) if isinstance(a, Number) else (b, a, False)
        assert isinstance(number, Number) and isinstance(series, Series)
        n = number.value
        points = tuple(
            (t, _value2(op, n, v) if number_left else _value2(op, v, n)) for t, v in series.points
        )
        return Series(labels, points)
    assert isinstance(a, Series) and isinstance(b, Series)
    right = dict(b.points)
    points = tuple((t, _value2(op, v, right[t])) for t, v in a.points if t in right)
    return Series(labels, points)

"""PromQL binary operators with Prometheus's vector matching and `__name__` rules.

- scalar op scalar: a number (comparisons need `bool`, the parser enforces it);
- vector op scalar: per element; a comparison filters and keeps the *vector's* value (also when
  the scalar is on the left), `bool` turns it into 1/0; arithmetic and `bool` drop `__name__`;
- vector op vector: one-to-one matching on all labels but `__name__` (or `on (...)` /
  `ignoring (...)`); duplicates on the right, or two left elements matching the same right one,
  are evaluation errors as in Prometheus; with `on (...)` the result keeps only those labels;
- `group_left (...)` / `group_right (...)`: many-to-one / one-to-many; the result keeps the
  "many" side's labels plus the listed labels copied from the "one" side;
- `and`, `or`, `unless`: many-to-many set operations, labels untouched.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

from harness.alerting.nodes import COMPARISONS, SET_OPS, Binary
from harness.alerting.tsdb import Labels, drop_name, format_labels, label_value

Vector = list[tuple[Labels, float]]


class EvalError(RuntimeError):
    """The expression cannot be evaluated on this data (Prometheus answers an error too)."""


def _div(a: float, b: float) -> float:
    if b == 0:  # IEEE 754, as Go: x/0 = ±Inf, 0/0 = NaN
        return (
            math.nan
            if a == 0 or math.isnan(a)
            else math.copysign(math.inf, a) * (math.copysign(1.0, b))
        )
    return a / b


def _mod(a: float, b: float) -> float:
    if b == 0 or math.isinf(a) or math.isnan(a) or math.isnan(b):
        return math.nan  # Go's math.Mod; Python's fmod raises on some of these
    return math.fmod(a, b)


def _pow(a: float, b: float) -> float:
    try:
        return math.pow(a, b)
    except OverflowError:
        return math.inf
    except ValueError:  # a negative base to a fractional power, 0 to a negative power
        return math.inf if a == 0 else math.nan


ARITH: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _div,
    "%": _mod,
    "^": _pow,
    "atan2": math.atan2,
}
COMPARE: dict[str, Callable[[float, float], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
}


def scalar_op(op: str, a: float, b: float) -> float:
    if op in COMPARE:
        return 1.0 if COMPARE[op](a, b) else 0.0
    return ARITH[op](a, b)


def vector_scalar(node: Binary, vec: Vector, scalar: float, scalar_left: bool) -> Vector:
    out: Vector = []
    for labels, v in vec:
        a, b = (scalar, v) if scalar_left else (v, scalar)
        if node.op in COMPARE:
            keep = COMPARE[node.op](a, b)
            if node.return_bool:
                out.append((drop_name(labels), 1.0 if keep else 0.0))
            elif keep:
                out.append((labels, v))
        else:
            out.append((drop_name(labels), ARITH[node.op](a, b)))
    return out


def signature(node: Binary, labels: Labels) -> Labels:
    if node.on:
        return tuple(kv for kv in labels if kv[0] in node.labels)
    return tuple(kv for kv in labels if kv[0] != "__name__" and kv[0] not in node.labels)


def vector_vector(node: Binary, lhs: Vector, rhs: Vector) -> Vector:
    if node.op in SET_OPS:
        return _set_op(node, lhs, rhs)
    if node.group == "right":  # match from the right: the left side is the "one" side
        lhs, rhs = rhs, lhs
    one = _one_side(node, rhs)
    out: Vector = []
    matched: dict[Labels, set[Labels]] = {}
    for labels, many_value in lhs:
        sig = signature(node, labels)
        if sig not in one:
            continue
        one_labels, one_value = one[sig]
        lv, rv = (one_value, many_value) if node.group == "right" else (many_value, one_value)
        result = _result_labels(node, labels, one_labels)
        _check_unique(node, matched.setdefault(sig, set()), result, sig)
        if node.op in COMPARE:
            keep = COMPARE[node.op](lv, rv)
            if not (keep or node.return_bool):
                continue
            value = (1.0 if keep else 0.0) if node.return_bool else lv
        else:
            value = ARITH[node.op](lv, rv)
        out.append((result, value))
    return out


def _one_side(node: Binary, vec: Vector) -> dict[Labels, tuple[Labels, float]]:
    """The "one" side by match signature; a second element for a signature is an error."""
    one: dict[Labels, tuple[Labels, float]] = {}
    for labels, v in vec:
        sig = signature(node, labels)
        if sig in one:
            pair = sorted((format_labels(one[sig][0]), format_labels(labels)))
            side = "left" if node.group == "right" else "right"
            raise EvalError(
                f"found duplicate series for the match group {format_labels(sig)} on the {side} "
                f"hand-side of the operation: [{pair[0]}, {pair[1]}];many-to-many matching not "
                "allowed: matching labels must be unique on one side"
            )
        one[sig] = (labels, v)
    return one


def _check_unique(node: Binary, seen: set[Labels], result: Labels, sig: Labels) -> None:
    """Checked before a comparison filters, as Prometheus does."""
    if node.group:
        if result in seen:
            raise EvalError(
                "multiple matches for labels: grouping labels must ensure unique matches"
            )
    elif seen:
        raise EvalError(
            "multiple matches for labels: many-to-one matching must be explicit "
            f"(group_left/group_right); match group {format_labels(sig)}"
        )
    seen.add(result)


def _result_labels(node: Binary, labels: Labels, one_labels: Labels) -> Labels:
    if node.op not in COMPARISONS or node.return_bool:
        labels = drop_name(labels)
    if not node.group:
        if node.on:
            return tuple(kv for kv in labels if kv[0] in node.labels)
        return tuple(kv for kv in labels if kv[0] not in node.labels)
    out = dict(labels)
    for name in node.include:  # group_x(...) labels come from the "one" side
        value = label_value(one_labels, name)
        if value:
            out[name] = value
        else:
            out.pop(name, None)
    return tuple(sorted(out.items()))


def _set_op(node: Binary, lhs: Vector, rhs: Vector) -> Vector:
    right = {signature(node, labels) for labels, _ in rhs}
    if node.op == "and":
        return [s for s in lhs if signature(node, s[0]) in right]
    if node.op == "unless":
        return [s for s in lhs if signature(node, s[0]) not in right]
    left = {signature(node, labels) for labels, _ in lhs}
    return lhs + [s for s in rhs if signature(node, s[0]) not in left]

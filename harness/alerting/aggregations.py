"""PromQL aggregation operators over an instant vector, grouped `by (...)` or `without (...)`.

https://prometheus.io/docs/prometheus/latest/querying/operators/#aggregation-operators
- sum avg min max count group stddev stdvar quantile: one element per group, labelled with the
  grouping labels (`by`) or all labels but those and `__name__` (`without`);
- topk bottomk: the k largest/smallest elements of each group, labels untouched, largest
  (smallest) first; NaN counts as the worst value;
- count_values: per group, how many elements have each value, the value (Go's shortest decimal
  form) in the label the parameter names.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal

from harness.alerting.binops import EvalError, Vector
from harness.alerting.functions import kahan_sum, mean, quantile
from harness.alerting.nodes import Aggregate
from harness.alerting.tsdb import Labels

MAX_K = 2.0**63  # topk's k must fit Go's int64


def group_key(node: Aggregate, labels: Labels, extra: tuple[str, ...] = ()) -> Labels:
    if node.without:
        return tuple(kv for kv in labels if kv[0] != "__name__" and kv[0] not in node.labels)
    return tuple(kv for kv in labels if kv[0] in node.labels or kv[0] in extra)


def aggregate(node: Aggregate, vec: Vector, param: float | str | None) -> Vector:
    if node.op in ("topk", "bottomk"):
        assert isinstance(param, float)
        return _k_smallest_or_largest(node, vec, param)
    if node.op == "count_values":
        assert isinstance(param, str)
        return _count_values(node, vec, param)
    groups: dict[Labels, list[float]] = {}
    for labels, value in vec:
        groups.setdefault(group_key(node, labels), []).append(value)
    if node.op == "quantile":
        assert isinstance(param, float)
        return [(key, quantile(param, values)) for key, values in groups.items()]
    reduce = AGGREGATORS[node.op]
    return [(key, reduce(values)) for key, values in groups.items()]


def _k_smallest_or_largest(node: Aggregate, vec: Vector, k_param: float) -> Vector:
    if math.isnan(k_param):
        raise EvalError(f"Parameter value is NaN for {node.op}")
    if k_param <= -MAX_K:
        raise EvalError(f"Scalar value {k_param:g} underflows int64")
    if k_param >= MAX_K:
        raise EvalError(f"Scalar value {k_param:g} overflows int64")
    k = int(k_param)
    if k < 1:
        return []
    groups: dict[Labels, Vector] = {}
    for labels, value in vec:
        groups.setdefault(group_key(node, labels), []).append((labels, value))
    largest = node.op == "topk"

    def rank(element: tuple[Labels, float]) -> tuple[bool, float]:
        v = element[1]  # NaN last whichever way we sort
        return (math.isnan(v), -v if largest else v)

    return [e for members in groups.values() for e in sorted(members, key=rank)[:k]]


def _count_values(node: Aggregate, vec: Vector, label: str) -> Vector:
    if not label:  # Prometheus 3 accepts any UTF-8 label name but the empty one
        raise EvalError(f'invalid label name "{label}"')
    extra = () if node.without else (label,)
    counts: dict[Labels, int] = {}
    for labels, value in vec:
        with_value = dict(labels)
        with_value[label] = format_value(value)
        key = group_key(node, tuple(sorted(with_value.items())), extra)
        counts[key] = counts.get(key, 0) + 1
    return [(key, float(n)) for key, n in counts.items()]


def format_value(v: float) -> str:
    """Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest exact decimal, no exponent."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    text = format(Decimal(repr(v)), "f")
    return text[:-2] if text.endswith(".0") else text


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


def _variance(values: list[float]) -> float:
    """Welford's method as Prometheus's aggregation (NaN once an Inf or NaN is the first)."""
    first = values[0]
    mean_, total = first, (math.nan if math.isnan(first) or math.isinf(first) else 0.0)
    for n, v in enumerate(values[1:], start=2):
        delta = v - mean_
        mean_ += delta / n
        total += delta * (v - mean_)
    return total / len(values)


AGGREGATORS: dict[str, Callable[[list[float]], float]] = {
    "sum": kahan_sum,
    "avg": mean,
    "max": _max,
    "min": _min,
    "count": lambda values: float(len(values)),
    "group": lambda values: 1.0,
    "stdvar": _variance,
    "stddev": lambda values: math.sqrt(v) if (v := _variance(values)) >= 0 else math.nan,
}

"""The numeric building blocks of Grafana's expressions: the reduce operation (with its modes),
the threshold predicates, and the reducers and evaluators of classic conditions.

Reduce (pkg/expr/mathexp/reduce.go): sum, mean, min, max, count, last. In `strict` mode (the
default) a null or NaN point makes the result NaN (min/max/mean/last of nothing are NaN, sum of
nothing is 0); `dropNN` leaves out null, NaN and +-Inf points first and turns a NaN result into
null; `replaceNN` replaces them (and a NaN result) with the given value.
Classic conditions (pkg/expr/classic) ignore null/NaN points: avg, sum, min, max, count, last,
median, diff, diff_abs, percent_diff, percent_diff_abs, count_non_null; a series with no usable
point reduces to null.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence

Points = Sequence[float | None]
REDUCERS = ("sum", "mean", "min", "max", "count", "last")
MODES = ("", "strict", "dropNN", "replaceNN")
THRESHOLDS = {
    "gt": (1, lambda x, p: x > p[0]),
    "lt": (1, lambda x, p: x < p[0]),
    "eq": (1, lambda x, p: x == p[0]),
    "ne": (1, lambda x, p: x != p[0]),
    "gte": (1, lambda x, p: x >= p[0]),
    "lte": (1, lambda x, p: x <= p[0]),
    "within_range": (2, lambda x, p: p[0] < x < p[1]),
    "outside_range": (2, lambda x, p: x < p[0] or x > p[1]),
    "within_range_included": (2, lambda x, p: p[0] <= x <= p[1]),
    "outside_range_included": (2, lambda x, p: x <= p[0] or x >= p[1]),
}
THRESHOLD_TEXT = {
    "gt": "{0} > {1}", "lt": "{0} < {1}", "eq": "{0} == {1}", "ne": "{0} != {1}",
    "gte": "{0} >= {1}", "lte": "{0} <= {1}", "within_range": "{1} < {0} < {2}",
    "outside_range": "{0} < {1} or {0} > {2}", "within_range_included": "{1} <= {0} <= {2}",
    "outside_range_included": "{0} <= {1} or {0} >= {2}",
}  # fmt: skip
CLASSIC_EVALUATORS = {"gt", "lt", "eq", "ne", "ge", "le", "no_value"} | {
    "within_range", "outside_range", "within_range_included", "outside_range_included"
}  # fmt: skip


def _non_number(x: float | None) -> bool:
    return x is None or math.isnan(x) or math.isinf(x)


def _strict(fn: Callable[[list[float]], float], empty: float) -> Callable[[Points], float]:
    def apply(points: Points) -> float:
        if not points:
            return empty
        if any(x is None or math.isnan(x) for x in points):
            return math.nan
        return fn([x for x in points if x is not None])

    return apply


STRICT: dict[str, Callable[[Points], float]] = {
    "sum": _strict(math.fsum, 0.0),
    "mean": _strict(lambda xs: math.fsum(xs) / len(xs), math.nan),
    "min": _strict(min, math.nan),
    "max": _strict(max, math.nan),
    "count": lambda points: float(len(points)),
    "last": lambda points: math.nan if not points else _nan_if_none(points[-1]),
}


def _nan_if_none(x: float | None) -> float:
    return math.nan if x is None else x


def reduce_points(points: Points, reducer: str, mode: str, replace_with: float) -> float | None:
    """One number from a series' points; None is null (the instance then has no data)."""
    if mode == "dropNN":
        value = STRICT[reducer]([x for x in points if not _non_number(x)])
        return None if math.isnan(value) else value
    if mode == "replaceNN":
        value = STRICT[reducer]([replace_with if _non_number(x) else x for x in points])
        return replace_with if math.isnan(value) else value
    return STRICT[reducer](points)


def threshold(kind: str, params: Sequence[float], value: float | None) -> float | None:
    if value is None:
        return None
    return 1.0 if THRESHOLDS[kind][1](value, params) else 0.0


def _ratio(a: float, b: float) -> float:
    """Go's float division: x/0 is +-Inf, 0/0 is NaN."""
    if b:
        return a / b
    return math.nan if a == 0 else math.copysign(math.inf, a)


def _diff(fn: Callable[[float, float], float]) -> Callable[[list[float]], float | None]:
    return lambda xs: fn(xs[-1], xs[0]) if len(xs) > 1 else None


CLASSIC: dict[str, Callable[[list[float]], float | None]] = {
    "avg": lambda xs: math.fsum(xs) / len(xs),
    "sum": math.fsum,
    "min": min,
    "max": max,
    "count": lambda xs: float(len(xs)),
    "last": lambda xs: xs[-1],
    "median": statistics.median,
    "diff": _diff(lambda new, old: new - old),
    "diff_abs": _diff(lambda new, old: abs(new - old)),
    "percent_diff": _diff(lambda new, old: _ratio(new - old, abs(old)) * 100),
    "percent_diff_abs": _diff(lambda new, old: abs(_ratio(new - old, old) * 100)),
    "count_non_null": lambda xs: float(len(xs)) if xs else None,
}


def classic_reduce(points: Points, reducer: str) -> float | None:
    """A classic condition's reducer: null/NaN points are skipped; nothing usable is null."""
    if reducer == "count":
        return float(len(points)) if points else None
    usable = [x for x in points if x is not None and not math.isnan(x)]
    return CLASSIC[reducer](usable) if usable else None


def classic_evaluate(kind: str, params: Sequence[float], value: float | None) -> bool:
    if kind == "no_value":
        return value is None
    if value is None:
        return False
    if kind in ("ge", "le"):
        kind = "gte" if kind == "ge" else "lte"
    if kind in ("within_range", "outside_range", "within_range_included", "outside_range_included"):
        lo, hi = sorted(params[:2])
        return bool(THRESHOLDS[kind][1](value, (lo, hi)))
    return bool(THRESHOLDS[kind][1](value, params))

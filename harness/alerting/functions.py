"""PromQL functions over one series' samples or one value, with Prometheus 3's exact arithmetic.

Range functions take the samples of one series in the left-open window (t - range, t] as
(ms, value) pairs and return one value or None (no output element). `extrapolated_rate` is
Prometheus's `extrapolatedRate` (promql/functions.go) for float samples, step for step, so
`rate`/`increase`/`delta` give the same numbers as Prometheus, window edges included.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

Points = Sequence[tuple[int, float]]


def kahan_sum(values: Sequence[float]) -> float:
    """Kahan-Neumaier summation, as Prometheus's kahanSumInc."""
    total, c = 0.0, 0.0
    for inc in values:
        t = total + inc
        if math.isinf(t):
            c = 0.0
        elif abs(total) >= abs(inc):
            c += (total - t) + inc
        else:
            c += (inc - t) + total
        total = t
    return total + c


def mean(values: Sequence[float]) -> float:
    """Kahan sum / count; an incremental mean where the sum would overflow (Prometheus 3)."""
    total = kahan_sum(values)
    if not math.isinf(total) or any(math.isinf(v) for v in values):
        return total / len(values)
    avg = 0.0
    for i, v in enumerate(values, start=1):
        avg += v / i - avg / i
    return avg


def extrapolated_rate(
    points: Points, t_ms: int, range_ms: int, is_counter: bool, is_rate: bool
) -> float | None:
    if len(points) < 2:
        return None
    first_t, first_v = points[0]
    last_t, last_v = points[-1]
    result = last_v - first_v
    if is_counter:  # a drop is a counter reset: add back what the counter had reached
        for (_, prev), (_, cur) in itertools.pairwise(points):
            if cur < prev:
                result += prev
    duration_to_start = (first_t - (t_ms - range_ms)) / 1000
    duration_to_end = (t_ms - last_t) / 1000
    sampled = (last_t - first_t) / 1000
    average = sampled / (len(points) - 1)
    threshold = average * 1.1  # a gap to the edge longer than this: the series starts/ends inside
    if duration_to_start >= threshold:
        duration_to_start = average / 2
    if is_counter:  # never extrapolate a counter below zero
        duration_to_zero = duration_to_start
        if result > 0 and first_v >= 0:
            duration_to_zero = sampled * (first_v / result)
        if duration_to_zero < duration_to_start:
            duration_to_start = duration_to_zero
    if duration_to_end >= threshold:
        duration_to_end = average / 2
    factor = (sampled + duration_to_start + duration_to_end) / sampled
    if is_rate:
        factor /= range_ms / 1000
    return result * factor


def instant_value(points: Points, is_rate: bool) -> float | None:
    """irate/idelta: the last two samples (Prometheus's instantValue)."""
    if len(points) < 2:
        return None
    (t0, v0), (t1, v1) = points[-2], points[-1]
    result = v1 if is_rate and v1 < v0 else v1 - v0  # irate: a drop is a counter reset
    return result / ((t1 - t0) / 1000) if is_rate else result


def _max(points: Points) -> float:
    best = points[0][1]
    for _, v in points:
        if v > best or math.isnan(best):
            best = v
    return best


def _min(points: Points) -> float:
    best = points[0][1]
    for _, v in points:
        if v < best or math.isnan(best):
            best = v
    return best


def _changes(points: Points) -> float:
    pairs = itertools.pairwise(points)
    return float(
        sum(1 for (_, a), (_, b) in pairs if not (a == b or (math.isnan(a) and math.isnan(b))))
    )


RangeFunc = Callable[[Points, int, int], float | None]

RANGE_FUNCS: dict[str, RangeFunc] = {
    "rate": lambda p, t, r: extrapolated_rate(p, t, r, is_counter=True, is_rate=True),
    "increase": lambda p, t, r: extrapolated_rate(p, t, r, is_counter=True, is_rate=False),
    "delta": lambda p, t, r: extrapolated_rate(p, t, r, is_counter=False, is_rate=False),
    "irate": lambda p, t, r: instant_value(p, is_rate=True),
    "idelta": lambda p, t, r: instant_value(p, is_rate=False),
    "avg_over_time": lambda p, t, r: mean([v for _, v in p]),
    "sum_over_time": lambda p, t, r: kahan_sum([v for _, v in p]),
    "max_over_time": lambda p, t, r: _max(p),
    "min_over_time": lambda p, t, r: _min(p),
    "count_over_time": lambda p, t, r: float(len(p)),
    "last_over_time": lambda p, t, r: p[-1][1],
    "present_over_time": lambda p, t, r: 1.0,
    "changes": lambda p, t, r: _changes(p),
    "resets": lambda p, t, r: float(sum(1 for (_, a), (_, b) in itertools.pairwise(p) if b < a)),
}
KEEPS_NAME = frozenset({"last_over_time"})  # every other function drops __name__


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:  # Go returns +Inf
        return math.inf


def _log(fn: Callable[[float], float]) -> Callable[[float], float]:
    """Go's logarithms: NaN below zero, -Inf at zero (Python raises)."""
    return lambda x: math.nan if math.isnan(x) or x < 0 else -math.inf if x == 0 else fn(x)


def _sqrt(x: float) -> float:
    return math.nan if math.isnan(x) or x < 0 else math.sqrt(x)


def _whole(fn: Callable[[float], int]) -> Callable[[float], float]:
    return lambda x: x if math.isnan(x) or math.isinf(x) else float(fn(x))


def _sgn(x: float) -> float:
    return x if math.isnan(x) else float((x > 0) - (x < 0))


MATH_FUNCS: dict[str, Callable[[float], float]] = {
    "abs": abs,
    "ceil": _whole(math.ceil),
    "floor": _whole(math.floor),
    "sgn": _sgn,
    "exp": _exp,
    "sqrt": _sqrt,
    "ln": _log(math.log),
    "log2": _log(math.log2),
    "log10": _log(math.log10),
}


def round_to(x: float, to_nearest: float) -> float:
    """Prometheus's round: to the nearest multiple of `to_nearest`, ties rounding up."""
    inverse = 1.0 / to_nearest if to_nearest else math.inf
    if inverse == 0:
        return math.nan
    y = x * inverse + 0.5
    return (y if math.isnan(y) or math.isinf(y) else float(math.floor(y))) / inverse

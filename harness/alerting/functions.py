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


def kahan_inc(inc: float, total: float, c: float) -> tuple[float, float]:
    """One step of Kahan-Neumaier summation, as Prometheus's kahansum.Inc."""
    t = total + inc
    if math.isinf(t):
        c = 0.0
    elif abs(total) >= abs(inc):
        c += (total - t) + inc
    else:
        c += (inc - t) + total
    return t, c


def kahan_sum(values: Sequence[float]) -> float:
    total, c = 0.0, 0.0
    for inc in values:
        total, c = kahan_inc(inc, total, c)
    return total + c


def variance(values: Sequence[float]) -> float:
    """Population variance by Welford's method with Kahan sums (Prometheus's stdvar)."""
    count = mean_ = c_mean = aux = c_aux = 0.0
    for v in values:
        count += 1
        delta = v - (mean_ + c_mean)
        mean_, c_mean = kahan_inc(delta / count, mean_, c_mean)
        aux, c_aux = kahan_inc(delta * (v - (mean_ + c_mean)), aux, c_aux)
    return (aux + c_aux) / count


def quantile(q: float, values: Sequence[float]) -> float:
    """The φ-quantile by linear interpolation between ranks (Prometheus's quantile)."""
    if not values or math.isnan(q):
        return math.nan
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    ordered = sorted(values, key=lambda v: (not math.isnan(v), v))  # NaN first, as Go's sort
    rank = q * (len(ordered) - 1)
    lower = max(0, math.floor(rank))
    upper = min(len(ordered) - 1, lower + 1)
    weight = rank - math.floor(rank)
    return ordered[lower] * (1 - weight) + ordered[upper] * weight


def linear_regression(points: Points, intercept_ms: int) -> tuple[float, float]:
    """Least-squares slope (per second) and intercept at `intercept_ms` (linearRegression)."""
    n = sum_x = c_x = sum_y = c_y = sum_xy = c_xy = sum_x2 = c_x2 = 0.0
    first = points[0][1]
    const_y = all(v == first for _, v in points)
    for t, v in points:
        n += 1
        x = (t - intercept_ms) / 1e3
        sum_x, c_x = kahan_inc(x, sum_x, c_x)
        sum_y, c_y = kahan_inc(v, sum_y, c_y)
        sum_xy, c_xy = kahan_inc(x * v, sum_xy, c_xy)
        sum_x2, c_x2 = kahan_inc(x * x, sum_x2, c_x2)
    if const_y:
        return (math.nan, math.nan) if math.isinf(first) else (0.0, first)
    sum_x, sum_y, sum_xy, sum_x2 = sum_x + c_x, sum_y + c_y, sum_xy + c_xy, sum_x2 + c_x2
    cov_xy = sum_xy - sum_x * sum_y / n
    var_x = sum_x2 - sum_x * sum_x / n
    slope = cov_xy / var_x if var_x else math.copysign(math.inf, cov_xy) if cov_xy else math.nan
    return slope, sum_y / n - slope * sum_x / n


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
    "first_over_time": lambda p, t, r: p[0][1],
    "stddev_over_time": lambda p, t, r: _sqrt(variance([v for _, v in p])),
    "stdvar_over_time": lambda p, t, r: variance([v for _, v in p]),
    "deriv": lambda p, t, r: linear_regression(p, p[0][0])[0] if len(p) > 1 else None,
}


def _predict_linear(points: Points, eval_ms: int, seconds: float) -> float | None:
    if len(points) < 2:
        return None
    slope, intercept = linear_regression(points, eval_ms)
    return slope * seconds + intercept


# Range functions with a scalar parameter: fn(points, evaluation time in ms, parameter).
PARAM_RANGE_FUNCS: dict[str, Callable[[Points, int, float], float | None]] = {
    "predict_linear": _predict_linear,
    "quantile_over_time": lambda p, t, q: quantile(q, [v for _, v in p]),
}
KEEPS_NAME = frozenset({"last_over_time", "first_over_time"})  # every other function drops __name__


def _sqrt(x: float) -> float:
    return math.nan if math.isnan(x) or x < 0 else math.sqrt(x)

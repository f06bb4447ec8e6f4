"""PromQL functions of one sample value: math, trigonometry, rounding and the calendar.

Each follows Go's float arithmetic, which Prometheus inherits (NaN or ±Inf where Python's
`math` raises). Prometheus reference: https://prometheus.io/docs/prometheus/latest/querying/functions/
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Callable
from datetime import UTC, datetime

ValueFunc = Callable[[float], float]


def _go(fn: ValueFunc) -> ValueFunc:
    """Go's math functions answer NaN out of domain and +Inf on overflow instead of raising."""

    def wrapped(x: float) -> float:
        try:
            return fn(x)
        except OverflowError:
            return math.inf
        except ValueError:
            return math.nan

    return wrapped


def _log(fn: ValueFunc) -> ValueFunc:
    """Go's logarithms: NaN below zero, -Inf at zero (Python raises)."""
    return lambda x: math.nan if math.isnan(x) or x < 0 else -math.inf if x == 0 else fn(x)


def _whole(fn: Callable[[float], int]) -> ValueFunc:
    return lambda x: x if math.isnan(x) or math.isinf(x) else float(fn(x))


def _sgn(x: float) -> float:
    return x if math.isnan(x) else float((x > 0) - (x < 0))


def _atanh(x: float) -> float:
    if x in (1.0, -1.0):
        return math.copysign(math.inf, x)
    return _go(math.atanh)(x)


def _sinh(x: float) -> float:
    try:
        return math.sinh(x)
    except OverflowError:
        return math.copysign(math.inf, x)


MATH_FUNCS: dict[str, ValueFunc] = {
    "abs": abs,
    "ceil": _whole(math.ceil),
    "floor": _whole(math.floor),
    "sgn": _sgn,
    "exp": _go(math.exp),
    "sqrt": lambda x: math.nan if math.isnan(x) or x < 0 else math.sqrt(x),
    "ln": _log(math.log),
    "log2": _log(math.log2),
    "log10": _log(math.log10),
    # trigonometry: https://prometheus.io/docs/prometheus/latest/querying/functions/#trigonometric-functions
    "sin": _go(math.sin),
    "cos": _go(math.cos),
    "tan": _go(math.tan),
    "asin": _go(math.asin),
    "acos": _go(math.acos),
    "atan": _go(math.atan),
    "sinh": _sinh,
    "cosh": _go(math.cosh),
    "tanh": _go(math.tanh),
    "asinh": _go(math.asinh),
    "acosh": _go(math.acosh),
    "atanh": _atanh,
    "deg": lambda x: x * 180 / math.pi,
    "rad": lambda x: x * math.pi / 180,
}


def round_to(x: float, to_nearest: float) -> float:
    """Prometheus's round: to the nearest multiple of `to_nearest`, ties rounding up."""
    inverse = 1.0 / to_nearest if to_nearest else math.inf
    if inverse == 0:
        return math.nan
    y = x * inverse + 0.5
    return (y if math.isnan(y) or math.isinf(y) else float(math.floor(y))) / inverse


def _date(part: Callable[[datetime], int]) -> ValueFunc:
    """A calendar field of the UTC time `x` seconds after the epoch (Go truncates x)."""

    def fn(x: float) -> float:
        try:
            return float(part(datetime.fromtimestamp(math.trunc(x), UTC)))
        except (ValueError, OverflowError, OSError):
            return math.nan  # NaN, ±Inf or beyond year 9999: Go's answer is not meaningful

    return fn


# https://prometheus.io/docs/prometheus/latest/querying/functions/#day_of_month (and siblings)
DATE_FUNCS: dict[str, ValueFunc] = {
    "year": _date(lambda d: d.year),
    "month": _date(lambda d: d.month),
    "day_of_month": _date(lambda d: d.day),
    "day_of_week": _date(lambda d: (d.weekday() + 1) % 7),  # Sunday is 0, as Go
    "day_of_year": _date(lambda d: d.timetuple().tm_yday),
    "days_in_month": _date(lambda d: calendar.monthrange(d.year, d.month)[1]),
    "hour": _date(lambda d: d.hour),
    "minute": _date(lambda d: d.minute),
}

"""Durations as Prometheus and scenario files write them (`500ms`, `30s`, `1m`, `1h30m`).

One grammar, Prometheus's (units y w d h m s ms, largest first, each at most once), read two ways:
strictly for rule files (whole numbers, as Prometheus does), and leniently for scenario fields,
which also take decimals (`2.5s`) and plain numbers of seconds.
"""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BeforeValidator

UNITS = (
    ("y", 365 * 86400.0),
    ("w", 7 * 86400.0),
    ("d", 86400.0),
    ("h", 3600.0),
    ("m", 60.0),
    ("s", 1.0),
    ("ms", 0.001),
)


def _grammar(number: str) -> re.Pattern[str]:
    return re.compile("".join(f"(?:({number}){unit})?" for unit, _ in UNITS))


STRICT = _grammar(r"\d+")
LENIENT = _grammar(r"\d+(?:\.\d+)?")


def _seconds(pattern: re.Pattern[str], text: str) -> float | None:
    match = pattern.fullmatch(text)
    if match is None or not any(match.groups()):
        return None
    return sum(float(n) * size for n, (_, size) in zip(match.groups(), UNITS, strict=True) if n)


def prometheus_duration(value: object) -> float | None:
    """Seconds of a Prometheus duration (`0` allowed bare), or None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return 0.0 if text == "0" else _seconds(STRICT, text)


def parse_duration(value: object) -> float:
    """Seconds from `1m30s`-style text or a plain number of seconds; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or text like 30s, 1m, 1h30m")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError("a duration must be a finite number of seconds")
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    text = str(value).strip()
    seconds = _seconds(LENIENT, text)
    if seconds is None:
        raise ValueError(f"{text!r} is not a duration: write e.g. 500ms, 30s, 1m, 1h30m")
    return seconds


def format_duration(seconds: float) -> str:
    """`90.0` -> `1m30s`; sub-second values keep milliseconds."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    minutes, rest = divmod(round(seconds, 1), 60)
    text = f"{int(minutes)}m" if minutes else ""
    return text + (f"{rest:g}s" if rest or not text else "")


Duration = Annotated[float, BeforeValidator(parse_duration)]


def signed_duration(seconds: float) -> str:
    """A time before or after a moment: `+1m32s`, `-27.4s`."""
    return ("+" if seconds >= 0 else "-") + format_duration(abs(seconds))

"""Durations as Prometheus and scenario files write them (`500ms`, `30s`, `1m`, `1h30m`)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(value: object) -> float:
    """Seconds from `1m30s`-style text or a plain number of seconds; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or text like 30s, 1m, 1h30m")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return float(value)
    text = str(value).strip()
    parts = PART.findall(text)
    if not text or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"{text!r} is not a duration: write e.g. 500ms, 30s, 1m, 1h30m")
    return sum(float(n) * UNITS[u] for n, u in parts)


def format_duration(seconds: float) -> str:
    """`90.0` -> `1m30s`; sub-second values keep milliseconds."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    minutes, rest = divmod(round(seconds, 1), 60)
    text = f"{int(minutes)}m" if minutes else ""
    return text + (f"{rest:g}s" if rest or not text else "")


Duration = Annotated[float, BeforeValidator(parse_duration)]

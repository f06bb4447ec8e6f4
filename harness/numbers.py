"""Numbers: reading decimal integers out of text strangers send (headers, query strings,
timestamps), and the one nearest-rank percentile the load test and the post-mortem both use.

`str.isdigit()` is also true of '²' and '٣', which `int()` then refuses with a ValueError no
handler expects, and `int()` of 5,000 digits is refused too; `decimal` answers None for both."""

from __future__ import annotations

import math


def decimal(text: str, *, signed: bool = False, max_digits: int = 19) -> int | None:
    """The integer `text` spells in ASCII digits (a leading '-' when `signed`), else None."""
    digits = text[1:] if signed and text.startswith("-") else text
    if not digits or len(digits) > max_digits or not (digits.isascii() and digits.isdigit()):
        return None
    return int(text)


def percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank percentile (what a person checks by counting), None for no values."""
    if not values:
        return None
    ranked = sorted(values)
    return ranked[max(0, math.ceil(q / 100 * len(ranked)) - 1)]

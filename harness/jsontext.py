"""Reading JSON that strangers send (request bodies, pushed log lines): one reader for every
input surface, so each refuses the same things with a ValueError naming them, never a 500.

Refused beyond what `json.loads` refuses: nesting deeper than MAX_DEPTH (the C parser stops
near 1,000 levels with RecursionError, and our own recursive code would stop much earlier),
lone UTF-16 surrogates (`"\\ud800"` decodes, then cannot be written back as UTF-8), `NaN` and
`Infinity` and numbers too large for a double (a price of 1e400 would make revenue `inf`).
Integers are kept within SQLite's 64 bits; larger ones are refused too.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 64
INT64 = 2**63
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


class JsonError(ValueError):
    """Text that is not JSON we accept; the message says what is wrong."""


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonError(f"number {text[:40]} is too large")
    return value


def _int64(text: str) -> int:
    value = int(text)
    if not -INT64 <= value < INT64:
        raise JsonError(f"integer {text[:40]} does not fit in 64 bits")
    return value


def _constant(name: str) -> Any:
    raise JsonError(f"{name} is not JSON (numbers must be finite)")


def _check(value: Any, max_depth: int, strings: bool) -> None:
    """Depth and (when `strings`) encodability of every string, without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            if depth > max_depth:
                raise JsonError(f"nested deeper than {max_depth} levels")
            stack.extend((v, depth + 1) for v in item.values())
            if strings:
                stack.extend((k, depth) for k in item)
        elif isinstance(item, list):
            if depth > max_depth:
                raise JsonError(f"nested deeper than {max_depth} levels")
            stack.extend((v, depth + 1) for v in item)
        elif strings and isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise JsonError(
                    "a string holds a lone UTF-16 surrogate (\\ud800-\\udfff)"
                ) from None


def loads(raw: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed value, or JsonError (a ValueError) saying what is wrong with the text."""
    try:
        value = json.loads(raw, parse_float=_finite, parse_int=_int64, parse_constant=_constant)
    except JsonError:
        raise
    except RecursionError:
        raise JsonError(f"nested deeper than {max_depth} levels") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise JsonError(str(exc)) from None
    data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
    # Counting brackets is C-speed; the walk only runs when the text could be too deep.
    deep = data.count(b"[") + data.count(b"{") > max_depth
    strings = _SURROGATE_ESCAPE.search(data) is not None or (
        isinstance(raw, str) and not _encodable(raw)
    )
    if deep or strings:
        _check(value, max_depth, strings)
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

"""promtool's `input_series` notation: load test data and replay promtool unit tests in fake time.

`expand_values("0x30 1+1x30 31x60 _ stale")` gives one entry per sample slot: a float, MISSING
(`_`, no sample) or STALE (a staleness marker). `load_series(tsdb, 'x{a="b"}', values, interval)`
writes them at 0, interval, 2*interval, ... (plus `start_s`). Notation, as promtool documents it:
`a+bxn` is a, a+b, ..., a+n*b (n+1 samples); `a-bxn` decrements; `axn` is a repeated n+1 times;
`_xn` is n missing samples; numbers may be negative, decimal, exponent, `Inf` or `NaN`.
"""

from __future__ import annotations

import enum
import math
import re

import promql_parser as pp

from harness.alerting.tsdb import TSDB
from harness.errors import ConfigError


class Slot(enum.Enum):
    MISSING = "_"
    STALE = "stale"


MISSING = Slot.MISSING
STALE = Slot.STALE

_NUM = r"[-+]?(?:(?i:Inf|NaN)|(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)"
_TOKEN = re.compile(rf"(?P<a>{_NUM})(?:(?P<op>[-+])(?P<b>{_NUM}))?(?:x(?P<n>\d+))?")


def expand_values(text: str, field: str = "values") -> list[float | Slot]:
    out: list[float | Slot] = []
    for token in text.split():
        if token in ("_", "stale"):
            out.append(Slot(token))
            continue
        if token.startswith("_x") and token[2:].isdigit():
            out.extend([MISSING] * int(token[2:]))
            continue
        m = _TOKEN.fullmatch(token)
        if m is None or (m["op"] and m["n"] is None):
            raise ConfigError(
                field,
                f"{token!r} is not promtool notation",
                fix="use a, a+bxn, a-bxn, axn, _, _xn or stale",
            )
        a = float(m["a"])
        if m["n"] is None:
            out.append(a)
            continue
        step = float(m["b"] or 0) * (-1 if m["op"] == "-" else 1)
        out.extend(a + i * step for i in range(int(m["n"]) + 1))
    return out


def parse_series(series: str, field: str = "series") -> tuple[str, dict[str, str]]:
    """`name{label="value", ...}` -> (name, labels)."""
    try:
        sel = pp.parse(series)
    except ValueError as exc:
        raise ConfigError(field, f"{series!r}: {exc}", fix='write name{label="value"}') from exc
    if not isinstance(sel, pp.VectorSelector) or sel.offset is not None or sel.at is not None:
        raise ConfigError(field, f"{series!r} is not a series", fix='write name{label="value"}')
    labels: dict[str, str] = {}
    for m in sel.matchers.matchers:
        if str(m.op) != "MatchOp.Equal":
            raise ConfigError(field, f"{series!r}: only `=` labels describe a series")
        labels[m.name] = m.value
    name = sel.name or labels.pop("__name__", "")
    if not name:
        raise ConfigError(field, f"{series!r} has no metric name")
    return name, labels


def load_series(
    tsdb: TSDB, series: str, values: str, interval_s: float, start_s: float = 0.0
) -> int:
    """Writes one input series into the store; returns the number of samples written."""
    name, labels = parse_series(series)
    written = 0
    for i, v in enumerate(expand_values(values)):
        t = start_s + i * interval_s
        if v is STALE:
            tsdb.ingest_stale(name, labels, t)
        elif isinstance(v, float):
            tsdb.ingest(name, labels, v, t)
            written += 1
    return written


def approx(a: float, b: float, rel: float = 1e-9) -> bool:
    """Float comparison for test expectations; NaN equals NaN, as promtool compares them."""
    return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=rel, abs_tol=1e-12)

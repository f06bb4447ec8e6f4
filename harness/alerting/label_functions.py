"""PromQL functions that rewrite labels or order a vector: label_replace, label_join, sort.

https://prometheus.io/docs/prometheus/latest/querying/functions/#label_replace
https://prometheus.io/docs/prometheus/latest/querying/functions/#label_join
https://prometheus.io/docs/prometheus/latest/querying/functions/#sort
Both label functions keep `__name__` unless they write it; a result with two equal label sets is
an error, as in Prometheus.
"""

from __future__ import annotations

import math

from harness.alerting.binops import EvalError, Vector
from harness.alerting.matchers import RegexError, compile_anchored, expand
from harness.alerting.tsdb import Labels, label_value


def _set(labels: Labels, name: str, value: str) -> Labels:
    out = dict(labels)
    if value:
        out[name] = value
    else:
        out.pop(name, None)  # an empty value removes the label
    return tuple(sorted(out.items()))


def _check_name(name: str, func: str) -> None:
    if not name:  # Prometheus 3 accepts any UTF-8 label name but the empty one
        raise EvalError(f"invalid destination label name in {func}(): {name!r}")


def label_replace(vec: Vector, dst: str, replacement: str, src: str, regex: str) -> Vector:
    """If `regex` (RE2, anchored) matches label `src`, set `dst` to the expanded replacement."""
    try:
        pattern = compile_anchored(regex)
    except RegexError as exc:
        raise EvalError(f"invalid regular expression in label_replace(): {exc}") from exc
    _check_name(dst, "label_replace")
    out: Vector = []
    for labels, value in vec:
        match = pattern.search(label_value(labels, src))
        out.append(
            (labels if match is None else _set(labels, dst, expand(replacement, match)), value)
        )
    return out


def label_join(vec: Vector, dst: str, separator: str, sources: list[str]) -> Vector:
    """Set `dst` to the values of the `sources` labels joined by `separator`."""
    _check_name(dst, "label_join")
    joined = (separator.join(label_value(labels, s) for s in sources) for labels, _ in vec)
    return [(_set(labels, dst, text), v) for (labels, v), text in zip(vec, joined, strict=True)]


def sort_by_value(vec: Vector, descending: bool) -> Vector:
    """sort / sort_desc: by value, NaN last either way."""
    return sorted(vec, key=lambda e: (math.isnan(e[1]), -e[1] if descending else e[1]))

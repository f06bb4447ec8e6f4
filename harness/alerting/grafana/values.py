"""What server-side expressions pass between each other: numbers and series, each identified by
its labels (Grafana's mathexp.Number and mathexp.Series). A value of None is Grafana's null.

A node's result is a list of items; an empty list is "no data". `PipelineError` is an evaluation
that failed (Grafana's Error state), naming the refId that failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from harness.alerting.tsdb import Labels, make_labels


@dataclass(frozen=True)
class Number:
    labels: Labels
    value: float | None


@dataclass(frozen=True)
class Series:
    labels: Labels
    points: tuple[tuple[float, float | None], ...]  # (scenario seconds, value)


Item = Number | Series
Results = list[Item]


class PipelineError(RuntimeError):
    """A query or expression failed at evaluation time: the rule's result is Error."""

    def __init__(self, ref_id: str, message: str, *, query_failed: bool = False) -> None:
        self.ref_id = ref_id
        self.query_failed = query_failed  # a data source query (Grafana adds ref_id labels)
        super().__init__(f"[{ref_id}] {message}")


def labels_of(mapping: Mapping[str, str]) -> Labels:
    return make_labels(mapping)


def is_subset(small: Labels, big: Labels) -> bool:
    return set(small) <= set(big)


def format_labels(labels: Labels) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in labels) + "}"


def describe_value(value: float | None) -> str:
    """A value as Grafana prints it in notifications (`strconv.FormatFloat(v, 'f', -1, 64)`)."""
    if value is None:
        return "null"
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    text = format(Decimal(repr(value)), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text

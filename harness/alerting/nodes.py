"""The PromQL syntax tree the evaluator walks: the subset we evaluate, checked once at load time.

`syntax.compile_expr` builds it from promql-parser's tree, refusing every construct the evaluator
does not implement, so evaluation never meets a surprise.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from harness.alerting.tsdb import Matcher


@dataclass(frozen=True)
class Number:
    value: float


At = float | str | None  # `@ <seconds>`, "start" (`@ start()`), "end" (`@ end()`), or no `@`


@dataclass(frozen=True)
class String:
    """A string literal: an argument of label_replace, label_join, count_values."""

    value: str


@dataclass(frozen=True)
class Selector:
    """An instant vector selector such as `http_requests_total{status=~"5.."} offset 5m`."""

    matchers: tuple[Matcher, ...]
    text: str
    offset_s: float = 0.0
    at: At = None


@dataclass(frozen=True)
class RangeSelector:
    """`selector[range]`; only ever the argument of a range function."""

    selector: Selector
    range_s: float


@dataclass(frozen=True)
class Subquery:
    """`expr[range:step]` (step 0: the evaluation interval), with its own offset and `@`."""

    expr: Node
    range_s: float
    step_s: float
    offset_s: float = 0.0
    at: At = None


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Aggregate:
    op: str  # sum, avg, max, min, count, group, stddev, stdvar, topk, bottomk, quantile, ...
    expr: Node
    labels: tuple[str, ...]
    without: bool  # `without (labels)`, else `by (labels)` (no clause: by ())
    param: Node | None = None  # topk's k, quantile's q, count_values's label (a String)


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / % ^ atan2 == != > < >= <= and or unless
    lhs: Node
    rhs: Node
    return_bool: bool = False
    on: bool = False  # `on (labels)`, else `ignoring (labels)` (no clause: ignoring ())
    labels: tuple[str, ...] = ()
    group: str = ""  # "left" (`group_left`), "right" (`group_right`), "" one-to-one
    include: tuple[str, ...] = ()  # the labels group_x(...) copies from the "one" side


@dataclass(frozen=True)
class Negate:
    expr: Node


Node = Number | String | Selector | RangeSelector | Subquery | Call | Aggregate | Binary | Negate

COMPARISONS = frozenset({"==", "!=", ">", "<", ">=", "<="})
SET_OPS = frozenset({"and", "or", "unless"})
ARITHMETIC = frozenset({"+", "-", "*", "/", "%", "^", "atan2"})
SCALAR_FUNCS = frozenset({"scalar", "time", "pi"})


def is_scalar(node: Node) -> bool:
    """Whether the node evaluates to a scalar (else an instant vector)."""
    if isinstance(node, Number):
        return True
    if isinstance(node, Negate):
        return is_scalar(node.expr)
    if isinstance(node, Binary):
        return is_scalar(node.lhs) and is_scalar(node.rhs)
    if isinstance(node, Call):
        return node.func in SCALAR_FUNCS
    return False


def max_range_s(node: Node) -> float:
    """The longest range any range selector in the tree reads (0 when none)."""
    if isinstance(node, RangeSelector):
        return node.range_s + node.selector.offset_s
    if isinstance(node, Subquery):
        return node.range_s + node.offset_s + max_range_s(node.expr)
    if isinstance(node, Selector):
        return node.offset_s
    if isinstance(node, Call):
        return max((max_range_s(a) for a in node.args), default=0.0)
    if isinstance(node, Aggregate | Negate):
        return max_range_s(node.expr)
    if isinstance(node, Binary):
        return max(max_range_s(node.lhs), max_range_s(node.rhs))
    return 0.0


def walk(node: Any) -> Iterator[Any]:
    """Every node of the tree, `node` first (generic over the node dataclasses' fields, so a
    new node type is walked without changes here)."""
    yield node
    if not is_dataclass(node):
        return
    for item in fields(node):
        value = getattr(node, item.name)
        for child in value if isinstance(value, tuple) else (value,):
            if is_dataclass(child) and not isinstance(child, Matcher):
                yield from walk(child)


def metric_names(node: Node) -> set[str]:
    """The metric names the expression reads (`__name__="x"` of its selectors)."""
    return {
        m.value
        for sel in walk(node)
        if isinstance(sel, Selector)
        for m in sel.matchers
        if m.name == "__name__" and m.op == "="
    }


def min_range_s(node: Node) -> float | None:
    """The shortest range any range selector in the tree reads (None when none)."""
    ranges = [n.range_s for n in walk(node) if isinstance(n, RangeSelector)]
    return min(ranges) if ranges else None

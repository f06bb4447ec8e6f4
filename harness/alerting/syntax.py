"""Parse a PromQL expression with promql-parser and keep only what the evaluator implements.

`compile_expr(text, field)` returns the evaluator's own tree (harness.alerting.nodes) or raises
ConfigError naming `field` and the construct it refuses (native-histogram functions,
experimental functions behind a Prometheus feature flag, `fill`, ...), so a rule that loads is a
rule we evaluate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import promql_parser as pp

from harness.alerting.functions import PARAM_RANGE_FUNCS, RANGE_FUNCS
from harness.alerting.matchers import Matcher, RegexError
from harness.alerting.nodes import (
    Aggregate,
    Binary,
    Call,
    Negate,
    Node,
    Number,
    RangeSelector,
    Selector,
    String,
    Subquery,
)
from harness.alerting.value_functions import DATE_FUNCS, MATH_FUNCS
from harness.errors import ConfigError

AGGREGATIONS = frozenset(
    {"sum", "avg", "max", "min", "count", "group", "stddev", "stdvar", "quantile"}
    | {"topk", "bottomk", "count_values"}
)
OTHER_FUNCS = frozenset(
    {"histogram_quantile", "histogram_fraction", "clamp", "clamp_min", "clamp_max", "round"}
    | {"vector", "scalar", "time", "timestamp", "pi", "absent", "absent_over_time"}
    | {"label_replace", "label_join", "sort", "sort_desc"}
)
FUNCTIONS = (
    frozenset(RANGE_FUNCS)
    | frozenset(PARAM_RANGE_FUNCS)
    | frozenset(MATH_FUNCS)
    | frozenset(DATE_FUNCS)
    | OTHER_FUNCS
)
NATIVE_ONLY = frozenset(
    {"histogram_count", "histogram_sum", "histogram_avg", "histogram_stddev", "histogram_stdvar"}
)
# promql-parser's MatchOp is not hashable: key by its text.
_MATCH_OPS = {
    "MatchOp.Equal": "=",
    "MatchOp.NotEqual": "!=",
    "MatchOp.Re": "=~",
    "MatchOp.NotRe": "!~",
}
_FIX = "rewrite the expression without it, or run a real Prometheus with the same rule file"


def compile_expr(text: str, field: str = "expr", who: str = "") -> Node:
    """`who` (e.g. "rule 'X'") starts every error message."""
    pre = f"{who}: " if who else ""
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(field, f"{pre}the PromQL expression is empty", fix="write one")
    try:
        tree = pp.parse(text)
    except ValueError as exc:
        msg = f"{pre}invalid PromQL {text!r}: {exc}"
        raise ConfigError(field, msg, fix="fix the syntax") from exc
    compiler = _Compiler(field, pre)
    node = compiler.node(tree)
    if isinstance(node, RangeSelector | Subquery):
        raise compiler.refuse("a range vector as the result", "a rule needs e.g. rate(x[5m])")
    if isinstance(node, String):
        raise compiler.refuse("a string literal as the result")
    return node


def selector_matchers(text: str, field: str) -> list[Matcher]:
    """The matchers of a bare series selector such as `http_requests_total{route="/api/order"}`
    (a counter a setting names); ConfigError for any other expression."""
    node = compile_expr(text, field)
    if not isinstance(node, Selector):
        raise ConfigError(
            field,
            f"{text!r} is not a series selector",
            fix='write a metric name with labels, e.g. pizza_orders_total{status="ok"}',
        )
    return list(node.matchers)


class _Compiler:
    def __init__(self, field: str, pre: str) -> None:
        self.field = field
        self.pre = pre

    def refuse(self, construct: str, why: str = "") -> ConfigError:
        detail = f" ({why})" if why else ""
        return ConfigError(
            self.field,
            f"{self.pre}{construct} is not supported by the built-in evaluator{detail}",
            fix=_FIX,
        )

    def node(self, e: Any) -> Node:
        handlers: dict[type, Callable[[], Node]] = {
            pp.NumberLiteral: lambda: Number(float(e.val)),
            pp.StringLiteral: lambda: String(str(e.val)),
            pp.SubqueryExpr: lambda: self.subquery(e),
            pp.MatrixSelector: lambda: RangeSelector(
                self.selector(e.vector_selector), e.range.total_seconds()
            ),
            pp.ParenExpr: lambda: self.node(e.expr),
            pp.UnaryExpr: lambda: Negate(self.node(e.expr)),
            pp.VectorSelector: lambda: self.selector(e),
            pp.Call: lambda: self.call(e),
            pp.AggregateExpr: lambda: self.aggregate(e),
            pp.BinaryExpr: lambda: self.binary(e),
        }
        handler = handlers.get(type(e))
        if handler is not None:
            return handler()
        raise self.refuse(f"the construct {type(e).__name__}")

    def subquery(self, sq: Any) -> Subquery:
        step = sq.step.total_seconds() if sq.step is not None else 0.0
        inner = self.node(sq.expr)
        offset = sq.offset.total_seconds() if sq.offset is not None else 0.0
        return Subquery(inner, sq.range.total_seconds(), step, offset, self.at(sq, str(sq)))

    def at(self, e: Any, text: str) -> float | str | None:
        """The `@` modifier: seconds, "start" or "end"; None without one."""
        try:
            mod = e.at
        except BaseException as exc:  # promql-parser panics reading a time before 1970
            raise self.refuse("an `@` time before 1970", f"in {text}") from exc
        if mod is None:
            return None
        if mod.type == pp.AtModifierType.Start:
            return "start"
        if mod.type == pp.AtModifierType.End:
            return "end"
        return float(mod.at.timestamp())

    def selector(self, vs: Any) -> Selector:
        text = str(vs.prettify()) if hasattr(vs, "prettify") else str(vs)
        if vs.matchers.or_matchers:
            raise self.refuse("`or` inside a selector's braces", f"in {text}")
        matchers = [
            self.matcher(m.name, _MATCH_OPS[str(m.op)], m.value) for m in vs.matchers.matchers
        ]
        if vs.name:
            matchers.insert(0, Matcher.make("__name__", "=", vs.name))
        offset = vs.offset.total_seconds() if vs.offset is not None else 0.0
        return Selector(tuple(matchers), text, offset, self.at(vs, text))

    def matcher(self, name: str, op: str, value: str) -> Matcher:
        try:
            return Matcher.make(name, op, value)
        except RegexError as exc:
            raise ConfigError(
                self.field,
                f"{self.pre}label {name!r}: {exc}",
                fix="write the regex in RE2 syntax (Go's regexp, which Prometheus uses)",
            ) from exc

    def call(self, c: Any) -> Call:
        name = c.func.name
        if name in NATIVE_ONLY:
            raise self.refuse(f"the function `{name}()`", "it reads native histograms only")
        if name not in FUNCTIONS:
            raise self.refuse(
                f"the function `{name}()`",
                "experimental: Prometheus needs --enable-feature=promql-experimental-functions",
            )
        return Call(name, tuple(self.node(arg) for arg in c.args))

    def aggregate(self, a: Any) -> Aggregate:
        op = str(a.op)
        if op not in AGGREGATIONS:
            raise self.refuse(
                f"the aggregation `{op}`",
                "experimental: Prometheus needs --enable-feature=promql-experimental-functions",
            )
        mod = a.modifier
        without = mod is not None and mod.type == pp.AggModifierType.Without
        labels = tuple(mod.labels) if mod is not None else ()
        param = self.node(a.param) if a.param is not None else None
        return Aggregate(op, self.node(a.expr), labels, without, param)

    def binary(self, b: Any) -> Binary:
        op = str(b.op)
        mod = b.modifier
        return_bool, on, labels, group, include = False, False, (), "", ()
        if mod is not None:
            card = pp.VectorMatchCardinality
            if mod.card == card.ManyToOne or mod.card == card.OneToMany:
                group = "left" if mod.card == card.ManyToOne else "right"
                include = tuple(mod.group_labels or ())
            fill = mod.fill_values
            if fill is not None and (fill.lhs is not None or fill.rhs is not None):
                raise self.refuse("a `fill` modifier on a binary operator")
            return_bool = bool(mod.return_bool)
            if mod.matching is not None:
                on = mod.matching.type == pp.LabelModifierType.Include
                labels = tuple(mod.matching.labels)
        lhs, rhs = self.node(b.lhs), self.node(b.rhs)
        return Binary(op, lhs, rhs, return_bool, on, labels, group, include)

"""Parse a PromQL expression with promql-parser and keep only what the evaluator implements.

`compile_expr(text, field)` returns the evaluator's own tree (harness.alerting.nodes) or raises
ConfigError naming `field` and the construct it refuses (`offset`, `@`, subqueries, `topk`,
`group_left`, `label_replace`, ...), so a rule that loads is a rule we evaluate.
"""

from __future__ import annotations

from typing import Any

import promql_parser as pp

from harness.alerting.functions import MATH_FUNCS, RANGE_FUNCS
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
)
from harness.errors import ConfigError

AGGREGATIONS = frozenset({"sum", "avg", "max", "min", "count", "group"})
OTHER_FUNCS = frozenset(
    {"histogram_quantile", "clamp", "clamp_min", "clamp_max", "round", "vector", "scalar"}
    | {"time", "absent"}
)
FUNCTIONS = frozenset(RANGE_FUNCS) | frozenset(MATH_FUNCS) | OTHER_FUNCS
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
    return _Compiler(field, pre).node(tree)


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
        handler = {
            pp.NumberLiteral: lambda: Number(float(e.val)),
            pp.ParenExpr: lambda: self.node(e.expr),
            pp.UnaryExpr: lambda: Negate(self.node(e.expr)),
            pp.VectorSelector: lambda: self.selector(e),
            pp.Call: lambda: self.call(e),
            pp.AggregateExpr: lambda: self.aggregate(e),
            pp.BinaryExpr: lambda: self.binary(e),
        }.get(type(e))
        if handler is not None:
            return handler()
        if isinstance(e, pp.SubqueryExpr):
            raise self.refuse("a subquery `[range:step]`")
        if isinstance(e, pp.MatrixSelector):
            raise self.refuse("a range vector outside a range function", "use e.g. rate(x[5m])")
        if isinstance(e, pp.StringLiteral):
            raise self.refuse("a string literal")
        raise self.refuse(f"the construct {type(e).__name__}")

    def selector(self, vs: Any) -> Selector:
        text = str(vs.prettify()) if hasattr(vs, "prettify") else str(vs)
        if vs.offset is not None:
            raise self.refuse("the `offset` modifier", f"in {text}")
        if vs.at is not None:
            raise self.refuse("the `@` modifier", f"in {text}")
        if vs.matchers.or_matchers:
            raise self.refuse("`or` inside a selector's braces", f"in {text}")
        matchers = [
            self.matcher(m.name, _MATCH_OPS[str(m.op)], m.value) for m in vs.matchers.matchers
        ]
        if vs.name:
            matchers.insert(0, Matcher.make("__name__", "=", vs.name))
        return Selector(tuple(matchers), text)

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
        if name not in FUNCTIONS:
            raise self.refuse(f"the function `{name}()`")
        args: list[Node] = []
        for arg in c.args:
            if isinstance(arg, pp.MatrixSelector):
                seconds = arg.range.total_seconds()
                args.append(RangeSelector(self.selector(arg.vector_selector), seconds))
            else:
                args.append(self.node(arg))
        return Call(name, tuple(args))

    def aggregate(self, a: Any) -> Aggregate:
        op = str(a.op)
        if op not in AGGREGATIONS:
            raise self.refuse(f"the aggregation `{op}`")
        mod = a.modifier
        without = mod is not None and mod.type == pp.AggModifierType.Without
        labels = tuple(mod.labels) if mod is not None else ()
        return Aggregate(op, self.node(a.expr), labels, without)

    def binary(self, b: Any) -> Binary:
        op = str(b.op)
        mod = b.modifier
        return_bool, on, labels = False, False, ()
        if mod is not None:
            card = pp.VectorMatchCardinality
            if mod.card == card.ManyToOne or mod.card == card.OneToMany:
                side = "left" if mod.card == card.ManyToOne else "right"
                raise self.refuse(f"`group_{side}` (many-to-one matching)")
            fill = mod.fill_values
            if fill is not None and (fill.lhs is not None or fill.rhs is not None):
                raise self.refuse("a `fill` modifier on a binary operator")
            return_bool = bool(mod.return_bool)
            if mod.matching is not None:
                on = mod.matching.type == pp.LabelModifierType.Include
                labels = tuple(mod.matching.labels)
        return Binary(op, self.node(b.lhs), self.node(b.rhs), return_bool, on, labels)

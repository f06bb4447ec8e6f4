"""Grafana's math expression language (`$A > 3`, `abs($A - $B) / 2`, `${my var} && !$C`), parsed
into a small tree.

Written by hand because no Python library speaks it: the grammar is Grafana's own (its
pkg/expr/mathexp/parse, inherited from Bosun), precedence lowest first:
    O -> A {"||" A};  A -> C {"&&" C};  C -> P {("==" | "!=" | ">" | ">=" | "<" | "<=") P}
    P -> M {("+" | "-") M};  M -> E {("*" | "/" | "%") E};  E -> F {"**" F}
    F -> number | func(args) | $var | ${var name} | "(" O ")" | "!" F | "-" F
Numbers are decimal, octal (leading 0) or hex (0x); exponents are allowed. A syntax error, an
unknown function or a wrong number of arguments is a MathSyntaxError at load time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FUNCTIONS = {
    "abs": 1, "ceil": 1, "floor": 1, "log": 1, "round": 1,
    "is_inf": 1, "is_nan": 1, "is_null": 1, "is_number": 1,
    "inf": 0, "infn": 0, "nan": 0, "null": 0,
}  # fmt: skip
_LEVELS = (("||",), ("&&",), ("==", "!=", ">", ">=", "<", "<="), ("+", "-"), ("*", "/", "%"))
_TOKEN = re.compile(
    r"\s*(?:(?P<num>0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
    r"|(?P<var>\$\{[^}]*\}|\$[A-Za-z0-9_]+)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>\|\||&&|==|!=|>=|<=|\*\*|[-+*/%<>!(),]))"
)


class MathSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Const:
    value: float | None


@dataclass(frozen=True)
class Var:
    name: str  # the refId it reads


@dataclass(frozen=True)
class Unary:
    op: str
    arg: Expr


@dataclass(frozen=True)
class Binary:
    op: str
    lhs: Expr
    rhs: Expr


@dataclass(frozen=True)
class Func:
    name: str
    args: tuple[Expr, ...]


Expr = Const | Var | Unary | Binary | Func


def parse_math(text: str) -> Expr:
    parser = _Parser(_tokens(text))
    tree = parser.level(0)
    if parser.pos != len(parser.tokens):
        raise MathSyntaxError(f"unexpected {parser.tokens[parser.pos][1]!r}")
    return tree


def variables(expr: Expr) -> set[str]:
    if isinstance(expr, Var):
        return {expr.name}
    if isinstance(expr, Unary):
        return variables(expr.arg)
    if isinstance(expr, Binary):
        return variables(expr.lhs) | variables(expr.rhs)
    if isinstance(expr, Func):
        return set().union(*(variables(a) for a in expr.args))
    return set()


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise MathSyntaxError(f"cannot read {text[pos:].strip()[:20]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _number(text: str) -> float:
    if text.lower().startswith("0x"):
        return float(int(text, 16))
    if len(text) > 1 and text[0] == "0" and text.isdigit():
        return float(int(text, 8))
    return float(text)


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.pos = tokens, 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "end of input")

    def take(self, text: str) -> None:
        if self.peek()[1] != text:
            raise MathSyntaxError(f"expected {text!r}, got {self.peek()[1]!r}")
        self.pos += 1

    def level(self, n: int) -> Expr:
        if n == len(_LEVELS):
            return self.power()
        node = self.level(n + 1)
        while self.peek()[0] == "op" and self.peek()[1] in _LEVELS[n]:
            op = self.peek()[1]
            self.pos += 1
            node = Binary(op, node, self.level(n + 1))
        return node

    def power(self) -> Expr:
        node = self.factor()
        while self.peek()[1] == "**":
            self.pos += 1
            node = Binary("**", node, self.factor())
        return node

    def factor(self) -> Expr:
        kind, text = self.peek()
        self.pos += 1
        if kind == "num":
            return Const(_number(text))
        if kind == "var":
            return Var(text[2:-1] if text.startswith("${") else text[1:])
        if kind == "name":
            return self.call(text)
        if text in ("!", "-"):
            return Unary(text, self.factor())
        if text == "(":
            node = self.level(0)
            self.take(")")
            return node
        raise MathSyntaxError(f"unexpected {text!r}")

    def call(self, name: str) -> Expr:
        if name not in FUNCTIONS:
            raise MathSyntaxError(f"unknown function {name}() (known: {', '.join(FUNCTIONS)})")
        self.take("(")
        args: list[Expr] = []
        while self.peek()[1] != ")":
            if args:
                self.take(",")
            args.append(self.level(0))
        self.take(")")
        if len(args) != FUNCTIONS[name]:
            raise MathSyntaxError(f"{name}() takes {FUNCTIONS[name]} argument(s), got {len(args)}")
        return Func(name, tuple(args))

"""The few Go-template forms alert labels and annotations use, expanded as Prometheus would.

Prometheus expands rule templates with Go's text/template; Python has no implementation of it, so
this is a tiny, strict substitute. It understands `{{ $labels.NAME }}`, `{{ .Labels.NAME }}`,
`{{ $value }}`, `{{ .Value }}`, optionally piped through `humanize`, `humanizePercentage`,
`humanizeDuration` or `printf "<verb>"` (also `{{ printf "%.2f" $value }}`), and `{{/* ... */}}`
comments. Anything else is refused when the rule is loaded (`compile_template` raises
ConfigError), never rendered wrongly. A missing label expands to "" (`missingkey=zero`); a value
prints as Go's `%v` does (shortest digits, exponent form below 1e-4 and from 1e+06, so
1234567 shows as 1.234567e+06: use `humanize`). A failing function (humanize of a non-number)
expands, as in Prometheus, to `<error expanding template: ...>`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from harness.errors import ConfigError

A = TypeVar("A")
_ACTION = re.compile(r"{{-?\s*(.*?)\s*-?}}", re.DOTALL)
_OPERAND = re.compile(r"(?:\$labels|\.Labels)\.([A-Za-z_][A-Za-z0-9_]*)|(\$value|\.Value)")
_PRINTF = re.compile(r'printf\s+"((?:[^"\\]|\\.)*)"')
_VERB = re.compile(r"%[-+ 0#]*\d*(?:\.\d+)?[vdfegsEG]")


def go_value(v: float) -> str:
    """Go's fmt %v for a float64 (strconv 'g', shortest): exponent form if exp < -4 or >= 6."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    if v == 0:
        return "-0" if math.copysign(1.0, v) < 0 else "0"
    sign = "-" if v < 0 else ""
    digits, exp = _shortest(abs(v))
    if exp < -4 or exp >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp < 0:
        return f"{sign}0.{'0' * (-exp - 1)}{digits}"
    whole, frac = digits[: exp + 1].ljust(exp + 1, "0"), digits[exp + 1 :]
    return f"{sign}{whole}{'.' + frac if frac else ''}"


def _shortest(v: float) -> tuple[str, int]:
    """The shortest round-tripping decimal digits of v > 0 (as repr), and its decimal exponent."""
    parts = Decimal(repr(v)).as_tuple()
    digits = "".join(map(str, parts.digits))
    exp = len(digits) + int(parts.exponent) - 1
    stripped = digits.lstrip("0")
    exp -= len(digits) - len(stripped)
    return stripped.rstrip("0") or "0", exp


def _go_g4(v: float) -> str:
    if math.isnan(v) or math.isinf(v):
        return go_value(v)
    return f"{v:.4g}"


def humanize(v: float) -> str:
    if v == 0 or math.isnan(v) or math.isinf(v):
        return _go_g4(v)
    prefixes = ["k", "M", "G", "T", "P", "E", "Z", "Y"] if abs(v) >= 1 else []
    small = ["m", "u", "n", "p", "f", "a", "z", "y"] if abs(v) < 1 else []
    prefix = ""
    for p in prefixes:
        if abs(v) < 1000:
            break
        prefix, v = p, v / 1000
    for p in small:
        if abs(v) >= 1:
            break
        prefix, v = p, v * 1000
    return f"{_go_g4(v)}{prefix}"


def humanize_duration(v: float) -> str:
    if math.isnan(v) or math.isinf(v):
        return _go_g4(v)
    if v == 0:
        return "0s"
    if abs(v) >= 1:
        sign, v = ("-", -v) if v < 0 else ("", v)
        whole = int(v)
        d, h, m, s = whole // 86400, whole // 3600 % 24, whole // 60 % 60, whole % 60
        if d:
            return f"{sign}{d}d {h}h {m}m {s}s"
        if h:
            return f"{sign}{h}h {m}m {s}s"
        if m:
            return f"{sign}{m}m {s}s"
        return f"{sign}{_go_g4(v)}s"
    prefix = ""
    for p in ["m", "u", "n", "p", "f", "a", "z", "y"]:
        if abs(v) >= 1:
            break
        prefix, v = p, v * 1000
    return f"{_go_g4(v)}{prefix}s"


def piped(stages: list[str], funcs: list[Callable[[float | str], str]]) -> bool:
    """Append the function of each `| stage` to `funcs`; False if a stage is not one we know
    (printf "FMT", humanize, ...). Shared by the Prometheus and the Grafana templates."""
    for stage in stages:
        if pm := _PRINTF.fullmatch(stage):
            funcs.append(_printf(pm.group(1)))
        elif stage in FUNCS:
            funcs.append(FUNCS[stage])
        else:
            return False
    return True


def _printf(fmt: str) -> Callable[[float | str], str]:
    def apply(x: float | str) -> str:
        return _VERB.sub(lambda m: _verb(m.group(0), x), fmt).replace("%%", "%")

    return apply


def _verb(verb: str, x: float | str) -> str:
    if verb[-1] in "vs":
        return go_value(x) if isinstance(x, float) else x
    value = float(x)
    return f"{{:{verb[1:-1]}{'d' if verb[-1] == 'd' else verb[-1]}}}".format(
        int(value) if verb[-1] == "d" else value
    )


FUNCS: dict[str, Callable[[float | str], str]] = {
    "humanize": lambda x: humanize(float(x)),
    "humanizePercentage": lambda x: f"{_go_g4(float(x) * 100)}%",
    "humanizeDuration": lambda x: humanize_duration(float(x)),
}


@dataclass(frozen=True)
class _Action:
    label: str | None  # a label name, or None for the value
    funcs: tuple[Callable[[float | str], str], ...]


@dataclass(frozen=True)
class Template:
    parts: tuple[str | _Action, ...]

    def expand(self, labels: Mapping[str, str], value: float) -> str:
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            x: float | str = value if part.label is None else labels.get(part.label, "")
            x = apply_funcs(part.funcs, x)
            out.append(go_value(x) if isinstance(x, float) else x)
        return "".join(out)


def compile_template(text: str, field: str, who: str = "") -> Template:
    """`who` (e.g. "rule 'X'") starts every error message."""
    try:
        return _compile(text, field)
    except ConfigError as exc:
        if not who:
            raise
        raise ConfigError(field, f"{who}: {exc.message[len(field) + 2 :]}", fix=exc.fix) from None


def _compile(text: str, field: str) -> Template:
    return Template(split_actions(text, field, lambda body: _action(body, field)))


def split_actions(
    text: str, field: str, action: Callable[[str], A], prefix: str = ""
) -> tuple[str | A, ...]:
    """The template's literal text and its `{{ ... }}` actions (each compiled by `action`), in
    order; comments `{{/* */}}` dropped. Shared by the Prometheus and the Grafana templates."""
    parts: list[str | A] = []
    pos = 0
    for m in _ACTION.finditer(text):
        parts.append(text[pos : m.start()])
        body = m.group(1)
        if not (body.startswith("/*") and body.endswith("*/")):
            parts.append(action(body))
        pos = m.end()
    if "{{" in text[pos:] or "}}" in text[pos:]:
        raise ConfigError(field, f"{prefix}unbalanced {{{{ }}}} in template {text!r}")
    parts.append(text[pos:])
    return tuple(p for p in parts if p != "")


def apply_funcs(funcs: Sequence[Callable[[float | str], str]], x: float | str) -> float | str:
    """A template action's pipeline applied to its operand; an error is shown, not raised."""
    try:
        for fn in funcs:
            x = fn(x)
    except (ValueError, TypeError, OverflowError) as exc:
        x = f"<error expanding template: {exc}>"
    return x


def _action(body: str, field: str) -> _Action:
    printf = None
    if (m := _PRINTF.match(body)) and _OPERAND.fullmatch(body[m.end() :].strip()):
        printf, body = m.group(1), body[m.end() :].strip()  # {{ printf "%.2f" $value }}
    stages = [s.strip() for s in body.split("|")]
    op = _OPERAND.fullmatch(stages[0])
    funcs = [_printf(printf)] if printf is not None else []
    if not piped(stages[1:], funcs):
        op = None
    if op is None:
        raise ConfigError(
            field,
            f"template action {{{{ {body} }}}} is beyond the built-in template subset",
            fix="use {{ $labels.NAME }}, {{ $value }}, optionally | humanize, "
            "| humanizePercentage, | humanizeDuration or | printf",
        )
    return _Action(op.group(1), tuple(funcs))

"""The Go-template forms Grafana-managed rules use in labels and annotations, expanded as Grafana
would: `{{ $labels.NAME }}`, `{{ index $labels "NAME" }}`, `{{ $values.B }}` (B's number),
`{{ $values.B.Value }}`, `{{ $values.B.Labels.NAME }}` and `{{ $value }}` (Grafana's value string,
`[ var='B' labels={...} value=3 ]`), piped through or called with `humanize`,
`humanizePercentage`, `humanizeDuration` or `printf "<verb>"`, plus `{{/* comments */}}`.

Python has no Go template engine, so this reuses the built-in Prometheus subset's functions
(harness.alerting.templates) and refuses anything else when the rule is loaded, never rendering
it wrongly. A missing label or refId expands to "" / `<no value>` as Go does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from harness.alerting.grafana.values import describe_value
from harness.alerting.templates import FUNCS, _printf, apply_funcs, piped, split_actions
from harness.errors import ConfigError

_OPERAND = re.compile(
    r"(?:\$labels|\.Labels)\.(?P<label>[A-Za-z_][A-Za-z0-9_]*)"
    r'|index\s+(?:\$labels|\.Labels)\s+"(?P<ilabel>[^"]*)"'
    r"|\$values\.(?P<ref>[A-Za-z0-9_]+)(?:\.(?P<part>Value|Labels\.(?P<rlabel>[A-Za-z_]\w*)))?"
    r"|(?P<value>\$value|\.Value)"
)
_PRINTF = re.compile(r'printf\s+"((?:[^"\\]|\\.)*)"\s*')
_PREFIX = re.compile(r"(humanize|humanizePercentage|humanizeDuration)\s+")

Func = Callable[[float | str], str]


@dataclass(frozen=True)
class _Action:
    kind: str  # label | ref | ref_label | value
    name: str = ""
    sub: str = ""
    funcs: tuple[Func, ...] = ()


@dataclass(frozen=True)
class Captured:
    """One expression's result for an alert instance (what `$values.REF` reads)."""

    labels: Mapping[str, str]
    value: float | None


@dataclass(frozen=True)
class GrafanaTemplate:
    text: str
    parts: tuple[str | _Action, ...]

    def expand(
        self, labels: Mapping[str, str], values: Mapping[str, Captured], value_string: str
    ) -> str:
        out = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            x = apply_funcs(part.funcs, _operand(part, labels, values, value_string))
            out.append(describe_value(x) if isinstance(x, float) else x)
        return "".join(out)


def _operand(
    a: _Action, labels: Mapping[str, str], values: Mapping[str, Captured], value_string: str
) -> float | str:
    if a.kind == "label":
        return labels.get(a.name, "")
    if a.kind == "value":
        return value_string
    captured = values.get(a.name)
    if captured is None:
        return "<no value>"
    if a.kind == "ref_label":
        return captured.labels.get(a.sub, "")
    return "null" if captured.value is None else captured.value


def compile_grafana_template(text: str, field: str, who: str) -> GrafanaTemplate:
    parts = split_actions(text, field, lambda body: _action(body, field, who), f"{who}: ")
    return GrafanaTemplate(text, parts)


def _action(body: str, field: str, who: str) -> _Action:
    funcs: list[Func] = []
    head = body
    if m := _PRINTF.match(head):  # {{ printf "%.2f" $values.B.Value }}
        funcs.append(_printf(m.group(1)))
        head = head[m.end() :]
    elif m := _PREFIX.match(head):  # {{ humanize $values.B.Value }}
        funcs.append(FUNCS[m.group(1)])
        head = head[m.end() :]
    stages = [s.strip() for s in head.split("|")]
    op = _OPERAND.fullmatch(stages[0])
    if not piped(stages[1:], funcs):
        op = None
    if op is None:
        raise ConfigError(
            field,
            f"{who}: template action {{{{ {body} }}}} is beyond what the harness can expand",
            fix="use {{ $labels.NAME }}, {{ $values.REF }}, {{ $values.REF.Value }} or "
            "{{ $value }}, optionally with humanize, humanizePercentage, humanizeDuration, printf",
        )
    if op.group("label") or op.group("ilabel") is not None:
        return _Action("label", op.group("label") or op.group("ilabel"), funcs=tuple(funcs))
    if op.group("ref"):
        kind = "ref_label" if op.group("rlabel") else "ref"
        return _Action(kind, op.group("ref"), op.group("rlabel") or "", tuple(funcs))
    return _Action("value", funcs=tuple(funcs))

"""Alerting rules from a Prometheus rule file or a list of rule dicts, validated fully up front.

Accepted: `groups: [{name, interval?, labels?, rules: [{alert, expr, for?, keep_firing_for?,
labels?, annotations?}]}]`, or a bare list of such rule dicts (one group). Every error is a
ConfigError whose field is the path from the caller's `where` (e.g.
`alerting.rules[0].expr`) and whose message names the rule. The expression is compiled (so a
refused PromQL construct fails here), templates are checked, durations use Prometheus's syntax.
Recording rules (`record:`) are refused: the built-in engine only alerts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.alerting.nodes import Node
from harness.alerting.syntax import compile_expr
from harness.alerting.templates import Template, compile_template
from harness.durations import prometheus_duration
from harness.errors import ConfigError
from harness.yamltext import YamlTextError, load_yaml

_LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RULE_KEYS = {"alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
_GROUP_KEYS = {"name", "interval", "labels", "rules"}


def parse_duration(value: object, field: str, who: str = "") -> float:
    """Prometheus duration (`1h30m`, `500ms`, `0`) -> seconds; `who` starts the error message."""
    seconds = prometheus_duration(value)
    if seconds is None:
        raise ConfigError(
            field,
            f"{who + ': ' if who else ''}{value!r} is not a duration",
            fix="write it as Prometheus does: 30s, 1m, 1h30m, 500ms (units y w d h m s ms)",
        )
    return seconds


@dataclass(frozen=True)
class AlertRule:
    name: str
    expr_text: str
    expr: Node
    for_s: float = 0.0
    keep_firing_for_s: float = 0.0
    labels: Mapping[str, Template] = field(default_factory=dict)
    annotations: Mapping[str, Template] = field(default_factory=dict)
    field: str = ""  # where it was defined, for messages


@dataclass(frozen=True)
class RuleGroup:
    name: str
    rules: tuple[AlertRule, ...]
    interval_s: float | None = None  # None: the engine's evaluation interval


def load_rule_file(path: str | Path, where: str | None = None) -> list[RuleGroup]:
    p = Path(path)
    where = where or str(p)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(where, f"cannot read the rule file: {exc}", fix="check the path") from exc
    return load_rules_yaml(raw, where)


def load_rules_yaml(text: str | bytes, where: str) -> list[RuleGroup]:
    try:
        doc = load_yaml(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    except YamlTextError as exc:
        raise ConfigError(where, str(exc), fix="fix the YAML (UTF-8, each key once)") from None
    return load_rules(doc, where)


def every_rule(doc: object, where: str = "alerting.rules") -> list[AlertRule]:
    """Every rule of `doc` (a scenario's `alerting.rules`), its groups flattened."""
    return [rule for group in load_rules(doc, where) for rule in group.rules]


def load_rules(doc: object, where: str) -> list[RuleGroup]:
    """A rule-file document ({groups: [...]}) or a bare list of rule dicts."""
    if isinstance(doc, list):
        return [RuleGroup("default", _rules(doc, where))]
    if not isinstance(doc, Mapping) or set(doc) != {"groups"}:
        raise ConfigError(
            where,
            "expected a rule file `groups: [...]` or a list of alerting rules",
            fix="see Prometheus's rule-file format: groups: [{name, rules: [{alert, expr}]}]",
        )
    groups = doc["groups"]
    if not isinstance(groups, list) or not groups:
        raise ConfigError(f"{where}.groups", "must be a non-empty list of rule groups")
    out: list[RuleGroup] = []
    for i, g in enumerate(groups):
        group = _group(g, f"{where}.groups[{i}]")
        if any(o.name == group.name for o in out):
            raise ConfigError(f"{where}.groups[{i}].name", f"group {group.name!r} is repeated")
        out.append(group)
    return out


def _group(g: object, path: str) -> RuleGroup:
    if not isinstance(g, Mapping):
        raise ConfigError(path, "a rule group must be a mapping with `name` and `rules`")
    _no_unknown(g, _GROUP_KEYS, path, "rule group")
    name = g.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{path}.name", "every rule group needs a non-empty name")
    interval = None
    if g.get("interval") is not None:
        interval = parse_duration(g["interval"], f"{path}.interval", f"group {name!r}")
        if interval <= 0:
            raise ConfigError(f"{path}.interval", "must be longer than 0")
    group_labels = _mapping(g.get("labels"), f"{path}.labels", f"group {name!r}")
    rules = g.get("rules")
    if not isinstance(rules, list):
        raise ConfigError(f"{path}.rules", f"group {name!r}: `rules` must be a list")
    return RuleGroup(name, _rules(rules, f"{path}.rules", group_labels), interval)


def _rules(
    rules: Sequence[object], path: str, group_labels: Mapping[str, str] | None = None
) -> tuple[AlertRule, ...]:
    return tuple(_rule(r, f"{path}[{i}]", group_labels or {}) for i, r in enumerate(rules))


def _rule(r: object, path: str, group_labels: Mapping[str, str]) -> AlertRule:
    if not isinstance(r, Mapping):
        raise ConfigError(path, "a rule must be a mapping with `alert` and `expr`")
    if "record" in r:
        raise ConfigError(
            f"{path}.record",
            f"recording rule {r.get('record')!r}: recording rules are not supported by the "
            "built-in engine",
            fix="inline the recorded expression into the alert's expr",
        )
    name = r.get("alert")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{path}.alert", "every rule needs an `alert` name")
    who = f"rule {name!r}"
    _no_unknown(r, _RULE_KEYS, path, who)
    expr = r.get("expr")
    if not isinstance(expr, str | int | float) or isinstance(expr, bool):
        raise ConfigError(f"{path}.expr", f"{who}: `expr` must be a PromQL expression")
    node = compile_expr(str(expr), f"{path}.expr", who)
    labels = {**group_labels, **_mapping(r.get("labels"), f"{path}.labels", who)}
    if "__name__" in labels or "alertname" in labels:
        raise ConfigError(f"{path}.labels", f"{who}: `__name__`/`alertname` cannot be set")
    annotations = _mapping(r.get("annotations"), f"{path}.annotations", who)
    return AlertRule(
        name=name,
        expr_text=str(expr),
        expr=node,
        for_s=_duration(r, "for", path, who),
        keep_firing_for_s=_duration(r, "keep_firing_for", path, who),
        labels={k: compile_template(v, f"{path}.labels.{k}", who) for k, v in labels.items()},
        annotations={
            k: compile_template(v, f"{path}.annotations.{k}", who) for k, v in annotations.items()
        },
        field=path,
    )


def _duration(r: Mapping[str, Any], key: str, path: str, who: str) -> float:
    return 0.0 if r.get(key) is None else parse_duration(r[key], f"{path}.{key}", who)


def _mapping(m: object, path: str, who: str) -> dict[str, str]:
    if m is None:
        return {}
    if not isinstance(m, Mapping):
        raise ConfigError(path, f"{who}: must be a mapping of names to strings")
    out = {}
    for k, v in m.items():
        if not isinstance(k, str) or not _LABEL_NAME.fullmatch(k):
            raise ConfigError(f"{path}.{k}", f"{who}: {k!r} is not a valid label name")
        if isinstance(v, Mapping | list) or v is None:
            raise ConfigError(f"{path}.{k}", f"{who}: the value must be a string")
        out[k] = v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
    return out


def _no_unknown(m: Mapping[Any, Any], known: set[str], path: str, who: str) -> None:
    for key in m:
        if key not in known:
            raise ConfigError(
                f"{path}.{key}",
                f"{who}: unknown field {key!r}",
                fix=f"use only {', '.join(sorted(known))}",
            )

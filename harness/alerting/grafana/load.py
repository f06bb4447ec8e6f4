"""Reading a Grafana alert-rule export into `GrafanaRule`s, refusing up front (ConfigError, exit 2)
whatever the harness cannot judge: a data source other than Prometheus, an expression type other
than reduce/math/threshold/classic_conditions, a recording rule, a refId read but never defined.
Every message names the file, the rule's title and the refId, and says what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from harness.alerting.grafana.gotemplate import compile_grafana_template
from harness.alerting.grafana.model import ExportFile, Policy, Rule
from harness.alerting.grafana.rule import GrafanaRule, Routing, Step, inputs_of
from harness.alerting.grafana.steps import compile_steps
from harness.durations import prometheus_duration
from harness.errors import ConfigError

# Grafana's notification policy defaults (the root policy of a new Grafana)
DEFAULT_GROUP_BY = ("grafana_folder", "alertname")
DEFAULT_TIMINGS = (30.0, 300.0, 4 * 3600.0)  # group_wait, group_interval, repeat_interval
DEFAULT_INTERVAL_S = 60.0  # the API's single rule names no group interval: Grafana's default
# Grafana's Prometheus data source steps a range query no finer than its scrape interval (15 s)
MIN_STEP_S = 15.0


@dataclass(frozen=True)
class NotifyPolicy:
    """The root notification policy: how the rules' alerts are grouped and (re)notified."""

    group_by: tuple[str, ...] = DEFAULT_GROUP_BY
    group_wait_s: float = DEFAULT_TIMINGS[0]
    group_interval_s: float = DEFAULT_TIMINGS[1]
    repeat_interval_s: float = DEFAULT_TIMINGS[2]
    receiver: str = ""
    from_export: bool = False


@dataclass(frozen=True)
class GrafanaRules:
    rules: tuple[GrafanaRule, ...]
    policy: NotifyPolicy = field(default_factory=NotifyPolicy)
    where: str = ""


def is_grafana_document(doc: object) -> bool:
    """An export (`apiVersion` + groups with a folder) or the API's one rule (`title` + `data`)."""
    if not isinstance(doc, Mapping):
        return False
    if "title" in doc and "data" in doc:
        return True
    groups = doc.get("groups")
    return (
        "apiVersion" in doc
        and isinstance(groups, list)
        and all(isinstance(g, Mapping) and "folder" in g for g in groups)
    )


def load_grafana_document(
    doc: object, where: str, *, min_step_s: float = MIN_STEP_S
) -> GrafanaRules:
    if not is_grafana_document(doc):
        raise ConfigError(
            where,
            "not a Grafana alert-rule export",
            fix="export the rules from Grafana (Alert rules > Export, YAML or JSON)",
        )
    assert isinstance(doc, Mapping)
    try:
        if "title" in doc:
            one = Rule.model_validate(doc)
            rules = (
                _rule(
                    one,
                    one.folder_uid or "",
                    one.rule_group or "",
                    DEFAULT_INTERVAL_S,
                    where,
                    min_step_s,
                ),
            )
            return GrafanaRules(rules, NotifyPolicy(), where)
        export = ExportFile.model_validate(doc)
    except ValidationError as exc:
        raise _invalid(exc, where) from None
    out = []
    for gi, g in enumerate(export.groups):
        interval = _seconds(g.interval, f"{where}: groups[{gi}].interval", f"group {g.name!r}")
        if interval <= 0:
            raise ConfigError(f"{where}: groups[{gi}].interval", "must be longer than 0")
        for ri, r in enumerate(g.rules):
            here = f"{where}: groups[{gi}].rules[{ri}]"
            out.append(_rule(r, g.folder, g.name, interval, here, min_step_s))
    if not out:
        raise ConfigError(where, "the export has no alert rules", fix="export at least one rule")
    return GrafanaRules(tuple(out), _policy(export.policies, where), where)


def _invalid(exc: ValidationError, where: str) -> ConfigError:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in exc.errors()
    )
    return ConfigError(
        where,
        f"not a valid Grafana export: {problems}",
        fix="compare with Grafana's file-provisioning format for alert rules",
    )


def _seconds(value: object, where: str, who: str) -> float:
    seconds = float(value) if isinstance(value, int) else prometheus_duration(value)
    if seconds is None:
        raise ConfigError(where, f"{who}: {value!r} is not a duration", fix="write e.g. 1m, 5m0s")
    return seconds


def _rule(
    r: Rule, folder: str, group: str, interval_s: float, where: str, min_step_s: float
) -> GrafanaRule:
    who = f"rule {r.title!r}"
    if r.record is not None:
        raise ConfigError(
            f"{where}.record",
            f"{who} is a recording rule, which does not alert",
            fix="remove it from the file the harness judges",
        )
    if not r.condition:
        raise ConfigError(
            f"{where}.condition",
            f"{who} has no condition",
            fix="set `condition` to the refId whose result alerts",
        )
    steps = compile_steps(r.data, who, where, interval_s, min_step_s)
    if r.condition not in {s.ref_id for s in steps}:
        raise ConfigError(
            f"{where}.condition",
            f"{who}: condition {r.condition!r} is no refId "
            f"of its data ({', '.join(s.ref_id for s in steps)})",
        )
    return GrafanaRule(
        uid=r.uid,
        title=r.title,
        folder=folder,
        group=group,
        interval_s=interval_s,
        condition=r.condition,
        steps=_ordered(steps, who, where),
        for_s=_seconds(r.for_, f"{where}.for", who),
        keep_firing_for_s=_seconds(r.keep_firing_for, f"{where}.keepFiringFor", who),
        no_data_state=r.no_data_state,
        exec_err_state=r.exec_err_state,
        labels={
            k: compile_grafana_template(v, f"{where}.labels.{k}", who) for k, v in r.labels.items()
        },
        annotations={
            k: compile_grafana_template(v, f"{where}.annotations.{k}", who)
            for k, v in r.annotations.items()
        },
        paused=r.is_paused,
        routing=_routing(r, where, who),
        missing_series_evals=r.missing_series_evals_to_resolve or 2,
        where=where,
    )


def _ordered(steps: list[Step], who: str, where: str) -> tuple[Step, ...]:
    """Every step after the steps it reads (Grafana evaluates the data as a graph)."""
    by_ref = {s.ref_id: s for s in steps}
    done: list[Step] = []
    visiting: set[str] = set()

    def visit(step: Step) -> None:
        if step in done:
            return
        if step.ref_id in visiting:
            raise ConfigError(
                f"{where}.data",
                f"{who}: refId {step.ref_id} reads itself through a cycle",
                fix="break the cycle",
            )
        visiting.add(step.ref_id)
        for ref in sorted(inputs_of(step)):
            if ref not in by_ref:
                raise ConfigError(
                    f"{where}.data",
                    f"{who}: refId {step.ref_id} reads ${ref}, which the rule does not define",
                    fix=f"define {ref} or read one of {', '.join(by_ref)}",
                )
            visit(by_ref[ref])
        visiting.discard(step.ref_id)
        done.append(step)

    for s in steps:
        visit(s)
    return tuple(done)


def _routing(r: Rule, where: str, who: str) -> Routing | None:
    ns = r.notification_settings
    if ns is None:
        return None
    here = f"{where}.notification_settings"

    def opt(v: object, key: str) -> float | None:
        return None if v is None else _seconds(v, f"{here}.{key}", who)

    return Routing(
        ns.receiver,
        tuple(ns.group_by) if ns.group_by is not None else None,
        opt(ns.group_wait, "group_wait"),
        opt(ns.group_interval, "group_interval"),
        opt(ns.repeat_interval, "repeat_interval"),
    )


def _policy(policies: list[Policy], where: str) -> NotifyPolicy:
    if not policies:
        return NotifyPolicy()
    root = policies[0]
    here = f"{where}: policies[0]"

    def timing(v: Any, key: str, default: float) -> float:
        return default if v is None else _seconds(v, f"{here}.{key}", "the root policy")

    return NotifyPolicy(
        group_by=tuple(root.group_by) if root.group_by is not None else DEFAULT_GROUP_BY,
        group_wait_s=timing(root.group_wait, "group_wait", DEFAULT_TIMINGS[0]),
        group_interval_s=timing(root.group_interval, "group_interval", DEFAULT_TIMINGS[1]),
        repeat_interval_s=timing(root.repeat_interval, "repeat_interval", DEFAULT_TIMINGS[2]),
        receiver=root.receiver or "",
        from_export=True,
    )

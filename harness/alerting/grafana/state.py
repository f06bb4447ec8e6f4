"""Grafana's alert-instance state machine (Normal, Pending, Alerting, Recovering, NoData, Error),
run on each rule group's own grid, in scenario seconds.

Per evaluation at time t and instance (one per label set the condition yields):
- Alerting result: Normal/NoData/Error -> Pending (or straight to Alerting when `for` is 0);
  Pending -> Alerting once t - pending start >= `for`; Recovering -> Alerting;
- Normal result: Pending -> Normal; Alerting -> Recovering when `keepFiringFor` > 0, Recovering
  -> Normal once t - recovering start >= keepFiringFor; otherwise Normal;
- NoData (nothing, or null, came back) by `noDataState`: NoData honours the pending period and
  then fires `DatasourceNoData`; Alerting is an Alerting result; OK a Normal one; KeepLast keeps
  every instance's state. Error by `execErrState` alike (`DatasourceError`, labels ref_id and
  datasource_uid when a query failed);
- an instance missing from the results for `missing_series_evals` evaluations is resolved
  (Normal) and dropped.
A paused rule is not evaluated. Transitions come out as AlertTransitions the Notifier and the
timeline already take: Pending is `pending`; Alerting, Recovering, NoData and Error are `firing`
(what Grafana sends its Alertmanager); Normal is `inactive` or `resolved`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from harness.alerting.engine import AlertTransition
from harness.alerting.grafana.gotemplate import Captured
from harness.alerting.grafana.pipeline import InstanceResult, Outcome, run_rule
from harness.alerting.grafana.rule import GrafanaRule
from harness.alerting.grafana.values import PipelineError
from harness.alerting.tsdb import TSDB, Labels, make_labels

FIRING_STATES = ("Alerting", "Recovering", "NoData", "Error")


@dataclass
class Instance:
    """One alert instance of one Grafana rule and its state."""

    rule: str
    labels: Labels  # the series labels
    state: str = "Normal"
    since: float = 0.0  # when the current state began (pending start, recovering start)
    fired_at: float | None = None
    value: float | None = None
    reason: str = ""  # Grafana's state reason: NoData, Error, MissingSeries, ...
    missing: int = 0
    captured: dict[str, Captured] = field(default_factory=dict)
    value_string: str = ""


@dataclass(frozen=True)
class StateChange:
    """One transition under Grafana's own names (what `grafana check`, the docs and tests read)."""

    t: float
    rule: str
    labels: Labels
    state_from: str
    state_to: str
    reason: str = ""


class GrafanaEngine:
    def __init__(self, rules: tuple[GrafanaRule, ...] | list[GrafanaRule], tsdb: TSDB) -> None:
        self.rules = list(rules)
        self.tsdb = tsdb
        self.instances: list[dict[Labels, Instance]] = [{} for _ in self.rules]
        self.next_at: list[float | None] = [None for _ in self.rules]
        self.changes: list[StateChange] = []
        self.errors: dict[str, str] = {}

    def next_due(self) -> float | None:
        due = [t for t in self.next_at if t is not None]
        return min(due) if due and len(due) == len(self.next_at) else None

    def evaluate(self, t: float) -> list[AlertTransition]:
        out: list[AlertTransition] = []
        for i, rule in enumerate(self.rules):
            nxt = self.next_at[i]
            if nxt is not None and t < nxt - 1e-9:
                continue
            if not rule.paused:
                out += self._eval_rule(rule, self.instances[i], t)
            base = t if nxt is None else nxt
            self.next_at[i] = (
                base + max(1, math.floor((t - base) / rule.interval_s) + 1) * rule.interval_s
            )
        return out

    def alerts(self) -> list[Instance]:
        return [a for insts in self.instances for a in insts.values()]

    def _eval_rule(
        self, rule: GrafanaRule, insts: dict[Labels, Instance], t: float
    ) -> list[AlertTransition]:
        loaded = [k for k, a in insts.items() if a.state in ("Alerting", "Recovering")]
        outcome = run_rule(rule, self.tsdb, t, loaded)
        if outcome.error is not None:
            self.errors[rule.title] = str(outcome.error)
        else:
            self.errors.pop(rule.title, None)
        results = self._results(rule, outcome, insts)
        out: list[AlertTransition] = []
        for res, kind, reason in results:
            inst = insts.setdefault(res.labels, Instance(rule.title, res.labels, since=t))
            inst.missing = 0
            inst.value, inst.captured, inst.value_string = res.value, res.captured, res.value_string
            out += self._step(rule, inst, kind, reason, t)
        seen = {res.labels for res, _, _ in results}
        keep_all = not results and self._keep_last(rule, outcome)
        for key, inst in list(insts.items()):
            if key in seen or keep_all:
                continue
            inst.missing += 1
            if inst.missing >= rule.missing_series_evals:
                out += self._move(rule, inst, "Normal", "MissingSeries", t)
                del insts[key]
        return out

    @staticmethod
    def _keep_last(rule: GrafanaRule, outcome: Outcome) -> bool:
        if outcome.error is not None:
            return rule.exec_err_state == "KeepLast"
        return outcome.no_data and rule.no_data_state == "KeepLast"

    def _results(
        self, rule: GrafanaRule, outcome: Outcome, insts: dict[Labels, Instance]
    ) -> list[tuple[InstanceResult, str, str]]:
        """(result, what it counts as: Alerting | Normal | NoData | Error, reason) per instance."""
        if outcome.error is not None:
            return self._special(rule, rule.exec_err_state, "Error", _error_labels(outcome.error))
        out = []
        for res in outcome.instances:
            if res.state == "NoData":
                mode = rule.no_data_state
                if mode == "KeepLast":
                    continue
                kind = {"NoData": "NoData", "Alerting": "Alerting", "OK": "Normal"}[mode]
                out.append((res, kind, "NoData"))
            else:
                out.append((res, res.state, ""))
        return out

    @staticmethod
    def _special(
        rule: GrafanaRule, mode: str, state: str, labels: Labels
    ) -> list[tuple[InstanceResult, str, str]]:
        if mode == "KeepLast":
            return []
        kind = {"Error": "Error", "NoData": "NoData", "Alerting": "Alerting", "OK": "Normal"}[mode]
        return [(InstanceResult(labels, state, None), kind, state)]

    def _step(
        self, rule: GrafanaRule, inst: Instance, kind: str, reason: str, t: float
    ) -> list[AlertTransition]:
        s = inst.state
        if kind == "Normal":
            if s == "Alerting" and rule.keep_firing_for_s > 0:
                return self._move(rule, inst, "Recovering", reason, t)
            if s == "Recovering" and t - inst.since < rule.keep_firing_for_s:
                return []
            return self._move(rule, inst, "Normal", reason, t) if s != "Normal" else []
        # Alerting, NoData or Error: each honours the pending period
        if s == kind or (s == "Recovering" and kind == "Alerting"):
            return self._move(rule, inst, kind, reason, t) if s != kind else []
        if s != "Pending" and rule.for_s > 0 and s not in FIRING_STATES:
            return self._move(rule, inst, "Pending", reason, t)
        if s == "Pending" and t - inst.since < rule.for_s - 1e-9:
            return []
        return self._move(rule, inst, kind, reason, t)

    def _move(
        self, rule: GrafanaRule, inst: Instance, state: str, reason: str, t: float
    ) -> list[AlertTransition]:
        before = inst.state
        if before == state:
            return []
        old_id = _identity(rule, inst, before)
        inst.state, inst.since, inst.reason = state, t, reason
        if state in FIRING_STATES and before not in FIRING_STATES:
            inst.fired_at = t
        self.changes.append(StateChange(t, rule.title, inst.labels, before, state, reason))
        return _transitions(rule, inst, before, old_id, t)


def _error_labels(exc: PipelineError) -> Labels:
    if not exc.query_failed:
        return ()
    return make_labels({"ref_id": exc.ref_id})


def coarse_state(state: str) -> str:
    """A Grafana state as the timeline's alert states name it (Prometheus's, lower case)."""
    if state in ("pending", "firing", "inactive", "resolved"):
        return state
    return "pending" if state == "Pending" else "firing" if state in FIRING_STATES else "inactive"


def _identity(rule: GrafanaRule, inst: Instance, state: str) -> tuple[str, dict[str, str]]:
    """The alert name and labels Grafana's Alertmanager sees for an instance in `state`."""
    series = dict(inst.labels)
    values = inst.captured
    labels = {k: tmpl.expand(series, values, inst.value_string) for k, tmpl in rule.labels.items()}
    labels = {**series, **{k: v for k, v in labels.items() if v}}
    labels["grafana_folder"] = rule.folder
    if state in ("NoData", "Error"):
        name = "DatasourceNoData" if state == "NoData" else "DatasourceError"
        labels["rulename"] = rule.title
        return name, {**labels, "alertname": name}
    return rule.title, {**labels, "alertname": rule.title}


def _transitions(
    rule: GrafanaRule, inst: Instance, before: str, old: tuple[str, dict[str, str]], t: float
) -> list[AlertTransition]:
    new = _identity(rule, inst, inst.state)
    c_old, c_new = coarse_state(before), coarse_state(inst.state)
    if old == new:
        steps = [(new, c_old, c_new)] if c_old != c_new else []
    else:  # e.g. Pending (the rule's name) -> NoData (DatasourceNoData): two alerts
        steps = [(old, c_old, "inactive"), (new, "inactive", c_new)]
    out = []
    for (name, labels), a, b in steps:
        if a == b:
            continue
        b = "resolved" if (a == "firing" and b == "inactive") else b
        out.append(_transition(rule, inst, name, labels, a, b, t))
    return out


def _transition(
    rule: GrafanaRule, inst: Instance, name: str, labels: dict[str, str], a: str, b: str, t: float
) -> AlertTransition:
    series = dict(inst.labels)
    notes = {
        k: tmpl.expand(series, inst.captured, inst.value_string)
        for k, tmpl in rule.annotations.items()
    }
    return AlertTransition(
        t=t,
        alertname=name,
        labels=labels,
        annotations=notes,
        state_from=a,
        state_to=b,
        value=math.nan if inst.value is None else inst.value,
        active_at=inst.since,
        fired_at=inst.fired_at if b == "firing" else None,
        group=rule.group,
        grafana_state=inst.state,
    )

"""The alert state machine: Prometheus's AlertingRule.Eval, run at the scenario times given.

Per rule and evaluation at time t (rules/alerting.go, Prometheus 3):
- a result series with no active alert -> a new alert, Pending, ActiveAt = t; an existing
  pending/firing alert only gets its value and annotations updated;
- Pending -> Firing (FiredAt = t) at the first evaluation where t - ActiveAt >= `for`, which
  with `for: 0` is the evaluation that created it (both transitions are reported, same t);
- a Pending alert absent from the result is deleted: `pending -> inactive`, never notified, so
  one false evaluation restarts the `for` clock;
- a Firing alert absent from the result: with `keep_firing_for` it keeps firing while
  t - KeepFiringSince < keep_firing_for (KeepFiringSince = first absent t, cleared when the series
  returns); otherwise `firing -> resolved`, ResolvedAt = t. Resolved alerts stay listed for 15 m;
  a series returning meanwhile starts a new alert (`resolved -> pending`).
An expression that fails to evaluate (or yields two alerts with one label set) leaves the rule's
alerts unchanged and is recorded in `errors`, as Prometheus does. Groups with their own
`interval` are evaluated on their own grid; `next_due()` says when to call `evaluate` next.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from harness.alerting.nodes import max_range_s
from harness.alerting.promql import EvalError, evaluate
from harness.alerting.rules import AlertRule, RuleGroup
from harness.alerting.tsdb import TSDB, Labels, make_labels, to_ms
from harness.errors import ConfigError

RESOLVED_RETENTION_MS = 15 * 60_000


@dataclass(frozen=True)
class AlertTransition:
    t: float
    alertname: str
    labels: dict[str, str]  # rule labels + series labels + alertname
    annotations: dict[str, str]
    state_from: str  # inactive | pending | firing | resolved
    state_to: str
    value: float
    active_at: float
    fired_at: float | None
    group: str = ""
    grafana_state: str | None = None  # a Grafana rule's instance state after the change


@dataclass
class Alert:
    """One alert instance (one label set of one rule) and its Prometheus state."""

    alertname: str
    labels: Labels
    annotations: dict[str, str]
    value: float
    active_at_ms: int
    state: str = "pending"
    fired_at_ms: int | None = None
    resolved_at_ms: int | None = None
    keep_firing_since_ms: int | None = None
    group: str = ""

    @property
    def active_at(self) -> float:
        return self.active_at_ms / 1000

    @property
    def fired_at(self) -> float | None:
        return None if self.fired_at_ms is None else self.fired_at_ms / 1000

    @property
    def resolved_at(self) -> float | None:
        return None if self.resolved_at_ms is None else self.resolved_at_ms / 1000

    @property
    def keep_firing_since(self) -> float | None:
        ms = self.keep_firing_since_ms
        return None if ms is None else ms / 1000


@dataclass
class _Group:
    group: RuleGroup
    interval_ms: int
    anchor_ms: int | None = None
    next_ms: int | None = None
    active: list[dict[Labels, Alert]] = field(default_factory=list)


class AlertEngine:
    def __init__(
        self, rules: Sequence[RuleGroup] | Sequence[AlertRule], eval_interval_s: float, tsdb: TSDB
    ) -> None:
        if not eval_interval_s > 0:
            raise ConfigError("eval_interval_s", f"must be positive, got {eval_interval_s}")
        groups = [g if isinstance(g, RuleGroup) else RuleGroup("default", (g,)) for g in rules]
        if rules and all(isinstance(r, AlertRule) for r in rules):
            groups = [RuleGroup("default", tuple(r for g in groups for r in g.rules))]
        self.tsdb = tsdb
        self.eval_interval_s = eval_interval_s  # also a subquery's step when it names none
        self.errors: dict[str, str] = {}  # rule (its config path, else name) -> last error
        self._groups = []
        for g in groups:
            for rule in g.rules:
                self._check_retention(rule)
            interval = to_ms(g.interval_s if g.interval_s is not None else eval_interval_s)
            self._groups.append(_Group(g, interval, active=[{} for _ in g.rules]))

    def _check_retention(self, rule: AlertRule) -> None:
        longest = max_range_s(rule.expr)
        if longest > self.tsdb.retention_s:
            raise ConfigError(
                f"{rule.field}.expr" if rule.field else rule.name,
                f"rule {rule.name!r} reads {longest:g} s of history but the store keeps "
                f"{self.tsdb.retention_s:g} s",
                fix="shorten the range or raise the store's retention",
            )

    def next_due(self) -> float | None:
        """The next scenario time a group is due; None before the first `evaluate`."""
        due = [g.next_ms for g in self._groups if g.next_ms is not None]
        return min(due) / 1000 if len(due) == len(self._groups) and due else None

    def evaluate(self, t: float) -> list[AlertTransition]:
        """Evaluates every group due at t (all of them on the first call)."""
        t_ms = to_ms(t)
        out: list[AlertTransition] = []
        for g in self._groups:
            if g.next_ms is not None and t_ms < g.next_ms:
                continue
            for rule, active in zip(g.group.rules, g.active, strict=True):
                out.extend(self._eval_rule(rule, active, g.group.name, t, t_ms))
            if g.anchor_ms is None:
                g.anchor_ms = t_ms
            g.next_ms = g.anchor_ms + ((t_ms - g.anchor_ms) // g.interval_ms + 1) * g.interval_ms
        return out

    def alerts(self) -> list[Alert]:
        """Every alert instance: pending, firing, and resolved ones kept for 15 minutes."""
        return [a for g in self._groups for active in g.active for a in active.values()]

    def _results(self, rule: AlertRule, t: float) -> dict[Labels, tuple[float, dict[str, str]]]:
        value = evaluate(rule.expr, self.tsdb, t, interval_s=self.eval_interval_s)
        vector = [((), value)] if isinstance(value, float) else value
        results: dict[Labels, tuple[float, dict[str, str]]] = {}
        for series_labels, v in vector:
            series = dict(series_labels)
            labels = {k: val for k, val in series.items() if k != "__name__"}
            labels.update({k: tmpl.expand(series, v) for k, tmpl in rule.labels.items()})
            labels["alertname"] = rule.name
            key = make_labels(labels)  # a label templated to "" is dropped, as in Prometheus
            if key in results:
                raise EvalError(
                    "vector contains metrics with the same labelset after applying alert labels"
                )
            results[key] = (v, {k: tmpl.expand(series, v) for k, tmpl in rule.annotations.items()})
        return results

    def _eval_rule(
        self, rule: AlertRule, active: dict[Labels, Alert], group: str, t: float, t_ms: int
    ) -> list[AlertTransition]:
        rule_id = rule.field or rule.name
        try:
            results = self._results(rule, t)
        except EvalError as exc:
            self.errors[rule_id] = str(exc)
            return []
        self.errors.pop(rule_id, None)
        out: list[AlertTransition] = []
        for key, (value, notes) in results.items():
            old = active.get(key)
            if old is not None and old.state in ("pending", "firing"):
                old.value, old.annotations = value, notes
                continue
            new = Alert(rule.name, key, notes, value, t_ms, group=group)
            active[key] = new
            out.append(_transition(new, old.state if old else "inactive", t))
        for key, a in list(active.items()):
            if key not in results:
                keep = False
                if a.state == "firing" and rule.keep_firing_for_s > 0:
                    if a.keep_firing_since_ms is None:
                        a.keep_firing_since_ms = t_ms
                    keep = t_ms - a.keep_firing_since_ms < to_ms(rule.keep_firing_for_s)
                if a.state == "pending" or (
                    a.resolved_at_ms is not None and t_ms - a.resolved_at_ms > RESOLVED_RETENTION_MS
                ):
                    del active[key]
                if a.state in ("pending", "firing") and not keep:
                    before, a.state = a.state, "resolved" if a.state == "firing" else "inactive"
                    a.resolved_at_ms = t_ms
                    out.append(_transition(a, before, t))
                if not keep:
                    continue
            else:
                a.keep_firing_since_ms = None
            if a.state == "pending" and t_ms - a.active_at_ms >= to_ms(rule.for_s):
                a.state, a.fired_at_ms = "firing", t_ms
                out.append(_transition(a, "pending", t))
        return out


def _transition(a: Alert, state_from: str, t: float) -> AlertTransition:
    return AlertTransition(
        t=t,
        alertname=a.alertname,
        labels=dict(a.labels),
        annotations=dict(a.annotations),
        state_from=state_from,
        state_to=a.state,
        value=a.value,
        active_at=a.active_at,
        fired_at=a.fired_at,
        group=a.group,
    )

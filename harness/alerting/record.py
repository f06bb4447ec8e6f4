"""How alerting's results are written to a run's timeline: the rules as the post-mortem quotes
them, and each alert's state change (whichever backend evaluated it)."""

from __future__ import annotations

from collections.abc import Iterable

from harness.alerting.engine import AlertTransition
from harness.alerting.rules import AlertRule as Rule
from harness.timeline import Alert, AlertRule


def alert_event(tr: AlertTransition) -> Alert:
    fields = {
        "alertname": tr.alertname,
        "labels": tr.labels,
        "state_from": tr.state_from,
        "state_to": tr.state_to,
        "value": tr.value,
        "grafana_state": tr.grafana_state,
    }
    return Alert.model_validate(fields)


def rule_events(rules: list[Rule]) -> list[AlertRule]:
    """The rules as the timeline records them (the post-mortem quotes them)."""
    return [
        AlertRule(
            alertname=r.name,
            expr=r.expr_text,
            for_s=r.for_s,
            keep_firing_for_s=r.keep_firing_for_s,
        )
        for r in rules
    ]


def worst_state(states: Iterable[str]) -> str:
    """The state a run shows for a set of alerts: firing over pending over inactive."""
    found = set(states)
    return next((s for s in ("firing", "pending") if s in found), "inactive")

"""The alert state machine in fake time, promtool style: input series, evaluation ticks, and the
alert states Prometheus 3 would show (rules/alerting.go semantics)."""

from __future__ import annotations

from typing import Any

import pytest

from harness.alerting import TSDB, AlertEngine, AlertTransition, load_rules, load_rules_yaml
from harness.alerting.promtool import load_series
from harness.errors import ConfigError

SECTION_3_RULES = """
groups:
- name: jwt-pizza
  rules:
  - alert: PizzaCreationFailures
    expr: increase(pizzas_failed_total{source="jwt-pizza-service"}[1m]) > 0
    for: 1m
    keep_firing_for: 2m
    labels: {severity: critical}
    annotations: {summary: "Pizza failures on {{ $labels.source }}"}
"""
SECTION_3_SERIES = ('pizzas_failed_total{source="jwt-pizza-service"}', "0x30 1+1x30 31x60")


class Run:
    """Evaluates at every tick like promtool and remembers the states after each one."""

    def __init__(self, rules: Any, series: list[tuple[str, str]], interval: float = 60) -> None:
        self.db = TSDB()
        for name, values in series:
            load_series(self.db, name, values, 10)
        groups = load_rules_yaml(rules, "rules") if isinstance(rules, str) else rules
        self.engine = AlertEngine(groups, interval, self.db)
        self.interval = interval
        self.transitions: list[AlertTransition] = []
        self.states: dict[float, dict[str, str]] = {}

    def until(self, end: float) -> Run:
        t = 0.0
        while t <= end:
            self.transitions += self.engine.evaluate(t)
            self.states[t] = {a.alertname: a.state for a in self.engine.alerts()}
            t += self.interval
        return self

    def state(self, eval_time: float, name: str) -> str:
        """The state after the latest tick at or before eval_time (promtool's rule)."""
        tick = max(t for t in self.states if t <= eval_time)
        return self.states[tick].get(name, "inactive")

    def moves(self) -> list[tuple[float, str, str]]:
        return [(tr.t, tr.state_from, tr.state_to) for tr in self.transitions]


def test_the_semantics_note_example_fires_at_7m_and_resolves_at_13m() -> None:
    run = Run(SECTION_3_RULES, [SECTION_3_SERIES]).until(20 * 60)
    name = "PizzaCreationFailures"
    assert run.state(5 * 60, name) == "inactive"
    assert run.state(6 * 60, name) == "pending"  # promtool would list nothing: not firing
    assert run.state(7 * 60, name) == "firing"
    assert run.state(12 * 60, name) == "firing"  # false since 11m, kept by keep_firing_for
    assert run.state(15 * 60, name) == "resolved"
    # Prometheus 3 (left-open windows): false from 11m, KeepFiringSince 11m, resolved at 13m.
    assert run.moves() == [(360, "inactive", "pending"), (420, "pending", "firing"),
                           (780, "firing", "resolved")]  # fmt: skip
    fired = run.transitions[1]
    assert fired.labels == {
        "alertname": name,
        "severity": "critical",
        "source": "jwt-pizza-service",
    }
    assert fired.annotations == {"summary": "Pizza failures on jwt-pizza-service"}
    assert (fired.active_at, fired.fired_at, fired.value) == (360, 420, pytest.approx(6.0))
    assert run.states[12 * 60] == {name: "firing"}
    (alert,) = run.engine.alerts()
    assert alert.keep_firing_since == 660 and alert.resolved_at == 780


GAUGE_RULE = [{"alert": "High", "expr": "x > 0", "for": "2m"}]


def gauge_run(values: str, rules: list[dict[str, Any]], end_min: int) -> Run:
    # One sample a minute (promtool interval 1m): write them at 60 s spacing.
    run = Run(load_rules(rules, "rules"), [])
    load_series(run.db, "x", values, 60)
    return run.until(end_min * 60)


def test_one_false_evaluation_while_pending_restarts_the_for_clock() -> None:
    run = gauge_run("0 0 1 1 0 1 1 1 1", GAUGE_RULE, 8)
    assert run.moves() == [
        (120, "inactive", "pending"),
        (240, "pending", "inactive"),  # one false evaluation: deleted, never notified
        (300, "inactive", "pending"),
        (420, "pending", "firing"),  # 2 m after the new ActiveAt, not after the first
    ]
    assert run.states[240] == {}  # the pending alert is gone, not kept as inactive


def test_keep_firing_for_holds_and_restarts_when_the_condition_returns() -> None:
    rules = [{"alert": "High", "expr": "x > 0", "for": "1m", "keep_firing_for": "2m"}]
    run = gauge_run("1 1 1 0 1 0 0 0 0", rules, 8)
    assert run.moves() == [
        (0, "inactive", "pending"),
        (60, "pending", "firing"),
        # absent at 3m (KeepFiringSince 3m), back at 4m (reset), absent from 5m:
        (420, "firing", "resolved"),  # 7m - 5m >= 2m; without the reset it would be 5m
    ]
    assert run.state(360, "High") == "firing"


def test_without_keep_firing_for_one_false_evaluation_resolves() -> None:
    run = gauge_run("1 1 1 0 1", [{"alert": "High", "expr": "x > 0", "for": "1m"}], 4)
    assert run.moves()[2:] == [(180, "firing", "resolved"), (240, "resolved", "pending")]
    assert run.transitions[-1].active_at == 240  # a new alert, not the old one revived


def test_for_zero_fires_at_the_first_true_evaluation() -> None:
    run = gauge_run("0 3", [{"alert": "Now", "expr": "x > 0"}], 1)
    assert run.moves() == [(60, "inactive", "pending"), (60, "pending", "firing")]
    assert run.transitions[1].value == 3.0


def test_resolved_alerts_are_listed_for_15_minutes_then_dropped() -> None:
    run = gauge_run("1 1" + " 0" * 20, [{"alert": "High", "expr": "x > 0"}], 20)
    assert run.state(60, "High") == "firing" and run.state(120, "High") == "resolved"
    assert run.state(120 + 15 * 60, "High") == "resolved"  # t - ResolvedAt = 15m, not > 15m
    assert run.state(120 + 16 * 60, "High") == "inactive"  # gone


def test_each_series_is_its_own_alert_with_expanded_annotations() -> None:
    rules = [
        {
            "alert": "Errors",
            "expr": "sum by (route) (rate(errors_total[1m])) > 0.05",
            "labels": {"team": "pizza", "where": "{{ $labels.route }}"},
            "annotations": {"summary": "{{ $labels.route }}: {{ $value | humanize }}/s"},
        }
    ]
    run = Run(load_rules(rules, "r"), [
        ('errors_total{route="/order"}', "0+1x30"),
        ('errors_total{route="/menu"}', "0x30"),
    ]).until(240)  # fmt: skip
    firing = {tuple(sorted(tr.labels.items())) for tr in run.transitions if tr.state_to == "firing"}
    assert firing == {(("alertname", "Errors"), ("route", "/order"), ("team", "pizza"),
                       ("where", "/order"))}  # fmt: skip
    assert run.transitions[-1].annotations == {"summary": "/order: 100m/s"}


def test_a_scalar_expression_alerts_with_only_the_rule_labels() -> None:
    run = gauge_run("1", [{"alert": "Always", "expr": "1 > bool 0", "labels": {"a": "b"}}], 0)
    assert run.transitions[-1].labels == {"alertname": "Always", "a": "b"}


def test_an_evaluation_error_leaves_the_alerts_unchanged_and_is_recorded() -> None:
    rules = [{"alert": "Dup", "expr": "x > 0", "labels": {"instance": "fixed"}}]
    run = Run(load_rules(rules, "alerting.rules"), [('x{instance="a"}', "1x10")])
    run.engine.evaluate(0)
    assert [a.state for a in run.engine.alerts()] == ["firing"]
    load_series(run.db, 'x{instance="b"}', "1x10", 10, start_s=60)  # now two series, one label set
    assert run.engine.evaluate(60) == []
    assert "same labelset" in run.engine.errors["alerting.rules[0]"]
    assert [a.state for a in run.engine.alerts()] == ["firing"]


def test_groups_with_their_own_interval_run_on_their_own_grid() -> None:
    doc = {
        "groups": [
            {"name": "fast", "interval": "30s", "rules": [{"alert": "F", "expr": "x > 0"}]},
            {"name": "default", "rules": [{"alert": "D", "expr": "x > 0"}]},
        ]
    }
    run = Run(load_rules(doc, "r"), [("x", "0 0 0 1x100")], interval=60)  # x = 1 from 30 s
    seen = []
    t: float | None = 0.0
    while t is not None and t <= 120:
        seen.append((t, sorted({tr.alertname for tr in run.engine.evaluate(t)})))
        t = run.engine.next_due()
    assert seen == [(0, []), (30, ["F"]), (60, ["D"]), (90, []), (120, [])]
    assert run.engine.next_due() == 150


def test_a_rule_reading_more_history_than_the_store_keeps_is_refused() -> None:
    rules = load_rules([{"alert": "Long", "expr": "rate(x[2h]) > 0"}], "alerting.rules")
    with pytest.raises(ConfigError) as err:
        AlertEngine(rules, 60, TSDB(retention_s=3600))
    assert err.value.field == "alerting.rules[0].expr"
    AlertEngine(rules, 60, TSDB(retention_s=3 * 3600))  # fine with a longer retention

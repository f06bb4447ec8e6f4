"""Grafana-managed rules judged offline: loading an export, each expression type, Grafana's
states (Pending and back, Recovering, NoData for each noDataState, Error), and a gate that fails.
Pure functions over synthetic series, like promtool's unit tests (docs/grafana-rules.md)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from harness.alerting.grafana.gotemplate import Captured, compile_grafana_template
from harness.alerting.grafana.load import GrafanaRules
from harness.alerting.grafana.mathparse import parse_math
from harness.alerting.grafana.pipeline import run_rule
from harness.alerting.grafana.reducers import reduce_points
from harness.alerting.grafana.rule import describe
from harness.alerting.rulefile import load_rules
from harness.alerting.tsdb import TSDB
from harness.errors import ConfigError
from harness.scenario import Expect
from harness.timeline import Alert, ChaosStarted, Order
from harness.verdict import checks
from tests.grafana_support import (
    counter,
    expression,
    failures_rule,
    load,
    query,
    reduce,
    rule,
    run,
    states,
    threshold,
)

PAYLOADS = Path(__file__).parent / "payloads" / "grafana"
FAILURES = "pizza_factory_failures_total"


def test_export_loads_as_the_team_wrote_it() -> None:
    loaded = load_rules(PAYLOADS / "pizza-alerts.yaml")
    assert isinstance(loaded, GrafanaRules)
    first = loaded.rules[0]
    assert (first.title, first.folder, first.group) == ("Pizza creation failures", "JWT Pizza",
                                                         "jwt-pizza")  # fmt: skip
    assert (first.interval_s, first.for_s, first.keep_firing_for_s) == (30, 60, 120)
    assert [describe(s, first.condition) for s in first.steps][1:] == [
        "B = reduce last(A), strict",
        "C = threshold B > 2   <- condition",
    ]
    latency = loaded.rules[1]
    assert describe(latency.step("D")) == "D = threshold C > 20000, recovers when C < 5000"
    assert describe(loaded.rules[2].step("B")) == "B = classic condition max(A) > 0"
    assert loaded.policy.receiver == "jwt-pizza-oncall" and loaded.policy.group_wait_s == 30


def test_a_prometheus_rule_file_still_loads_as_prometheus(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("groups: [{name: g, rules: [{alert: A, expr: up == 0}]}]\n")
    groups = load_rules(path)
    assert isinstance(groups, list) and groups[0].rules[0].name == "A"


def test_a_loki_query_is_refused_naming_the_rule_and_ref_id() -> None:
    with pytest.raises(ConfigError) as err:
        load_rules(PAYLOADS / "loki-rule.json")
    assert "rule 'Log errors', refId A" in err.value.message and "loki" in err.value.message


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        (expression("B", "resample", expression="A", window="1m"), "expression type 'resample'"),
        (reduce("B", "A", reducer="median"), "reducer 'median'"),
        (expression("B", "math", expression="$A >"), "math expression"),
        (reduce("B", "Z"), "reads $Z, which the rule does not define"),
    ],
)
def test_what_cannot_be_judged_is_refused_before_anything_starts(
    entry: dict[str, Any], words: str
) -> None:
    data = [query("A", "vector(1)"), entry]
    with pytest.raises(ConfigError, match="rule 'R'") as err:
        load(rule("R", data, "B"))
    assert words in err.value.message


def test_fires_after_the_pending_period_then_recovers_for_keep_firing_for() -> None:
    tsdb = TSDB()
    counter(tsdb, FAILURES, [(120, 300)], 900)
    transitions, changes = run(load(failures_rule(keepFiringFor="2m")), tsdb, 900)
    # first true evaluation at 150 s; for 1m on a 30 s grid: Alerting at 210 s
    assert states(changes) == [(150, "Pending"), (210, "Alerting"), (330, "Recovering"),
                               (450, "Normal")]  # fmt: skip
    assert [(t.t, t.state_to) for t in transitions] == [(150, "pending"), (210, "firing"),
                                                        (450, "resolved")]  # fmt: skip
    labels = transitions[1].labels
    assert labels["alertname"] == "Pizza creation failures"
    assert labels["grafana_folder"] == "JWT Pizza"


def test_a_blip_goes_pending_and_back_to_normal() -> None:
    tsdb = TSDB()
    counter(tsdb, FAILURES, [(120, 165)], 600)  # three failures in 45 s, then none
    transitions, changes = run(load(failures_rule()), tsdb, 600)
    assert [c.state_to for c in changes] == ["Pending", "Normal"]
    assert [t.state_to for t in transitions] == ["pending", "inactive"]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("NoData", ["Pending", "NoData"]),  # honours the pending period, then DatasourceNoData
        ("Alerting", ["Pending", "Alerting"]),
        ("OK", []),
        ("KeepLast", []),
    ],
)
def test_no_data_follows_the_rules_no_data_state(mode: str, expected: list[str]) -> None:
    transitions, changes = run(load(failures_rule(noDataState=mode)), TSDB(), 300)
    assert [c.state_to for c in changes] == expected
    if mode == "NoData":
        fired = transitions[-1]
        assert fired.alertname == "DatasourceNoData" and fired.state_to == "firing"
        assert fired.labels["rulename"] == "Pizza creation failures"


def test_keep_last_keeps_a_firing_instance_through_no_data() -> None:
    tsdb = TSDB(lookback_s=60)  # the counter disappears 60 s after its last sample
    counter(tsdb, FAILURES, [(0, 600)], 300)
    _, changes = run(load(failures_rule(noDataState="KeepLast")), tsdb, 900)
    assert [c.state_to for c in changes] == ["Pending", "Alerting"]


def test_a_recovery_threshold_keeps_firing_until_the_value_drops_below_it() -> None:
    tsdb = TSDB()
    for t, v in [(0, 10), (60, 30), (120, 30), (180, 12), (240, 12), (300, 3), (360, 3)]:
        for s in range(t, t + 60, 15):
            tsdb.ingest("pizza_latency_seconds", {}, float(v), s)
    data = [query("A", "pizza_latency_seconds"), reduce("B", "A"),
            threshold("C", "B", "gt", 20, recovery=("lt", 5))]  # fmt: skip
    _, changes = run(load(rule("Latency", data, "C")), tsdb, 400)
    # 12 is below the alerting threshold but not below the recovery one: still Alerting
    assert states(changes) == [(60, "Alerting"), (300, "Normal")]


def test_a_failing_query_is_an_error_handled_by_exec_err_state() -> None:
    tsdb = TSDB()
    for name in ("a", "b"):
        tsdb.ingest("orders", {"kind": name}, 1.0, 0)
        tsdb.ingest("orders", {"kind": name}, 1.0, 15)
    # two series on each side, matched on nothing: many-to-many, which PromQL refuses
    bad = [query("A", "orders / on() orders"), reduce("B", "A"), threshold("C", "B", "gt", 0)]
    transitions, changes = run(load(rule("Bad", bad, "C")), tsdb, 60)
    assert [c.state_to for c in changes] == ["Error"]
    assert transitions[0].alertname == "DatasourceError"
    assert transitions[0].labels["ref_id"] == "A"
    _, changes = run(load(rule("Bad", bad, "C", execErrState="OK")), tsdb, 60)
    assert changes == []


def test_classic_conditions_and_math_each_judge_a_rule() -> None:
    tsdb = TSDB()
    counter(tsdb, FAILURES, [(120, 300)], 400)
    classic = expression("B", "classic_conditions", conditions=[
        {"evaluator": {"type": "gt", "params": [0]}, "operator": {"type": "and"},
         "query": {"params": ["A"]}, "reducer": {"type": "max"}}])  # fmt: skip
    rate = query("A", f"sum(rate({FAILURES}[1m]))", instant=False, window=120)
    _, changes = run(load(rule("Classic", [rate, classic], "B")), tsdb, 400)
    assert states(changes)[0] == (120, "Alerting")
    maths = [query("A", f"sum(increase({FAILURES}[1m]))"), reduce("B", "A"),
             expression("C", "math", expression="$B * 60 > 100 && $B < 10")]  # fmt: skip
    _, changes = run(load(rule("Math", maths, "C")), tsdb, 400)
    assert states(changes)[0] == (150, "Alerting")


def test_annotations_read_values_and_labels() -> None:
    tsdb = TSDB()
    tsdb.ingest("pizza_latency_seconds", {"source": "svc"}, 32.5, 0)
    data = [query("A", "pizza_latency_seconds"), reduce("B", "A"), threshold("C", "B", "gt", 20)]
    notes = {"summary": "{{ $labels.source }} p95 {{ $values.B }} s ({{ humanize $values.B }})"}
    transitions, _ = run(load(rule("Slow", data, "C", annotations=notes)), tsdb, 30)
    assert transitions[0].annotations["summary"] == "svc p95 32.5 s (32.5)"
    assert transitions[0].labels["source"] == "svc"


def test_reduce_modes_and_go_templates_as_grafana_documents() -> None:
    assert math.isnan(reduce_points([1.0, None, 3.0], "mean", "", 0))
    assert reduce_points([1.0, None, 3.0], "mean", "dropNN", 0) == 2.0
    assert reduce_points([1.0, math.nan, 3.0], "sum", "replaceNN", 10) == 14.0
    assert reduce_points([], "last", "dropNN", 0) is None
    tmpl = compile_grafana_template("{{ $values.B.Value }} {{ $value }}", "f", "rule 'R'")
    captured = {"B": Captured({"a": "b"}, 3.0)}
    assert tmpl.expand({}, captured, "[ var='B' ]") == "3 [ var='B' ]"
    with pytest.raises(ConfigError, match="beyond"):
        compile_grafana_template("{{ range $k, $v := $labels }}x{{ end }}", "f", "rule 'R'")
    assert parse_math("abs($A - $B) / 2 > 1") is not None


def test_an_instant_pipeline_run_reports_every_value() -> None:
    tsdb = TSDB()
    tsdb.ingest("pizza_latency_seconds", {}, 40.0, 0)
    data = [query("A", "pizza_latency_seconds"), reduce("B", "A"), threshold("C", "B", "gt", 20)]
    outcome = run_rule(load(rule("R", data, "C")).rules[0], tsdb, 10)
    assert outcome.instances[0].value_string == (
        "[ var='B' labels={} value=40 ], [ var='C' labels={} value=1 ]"
    )


def _timeline(transitions: list[Any], chaos_at: float) -> list[Any]:
    events: list[Any] = [ChaosStarted(type="throttle")]
    events[0].st = chaos_at
    events.append(Order(diner="d", outcome="slow", start=chaos_at))
    events[1].st = chaos_at + 32
    for tr in transitions:
        alert = Alert(alertname=tr.alertname, labels=tr.labels, state_from=tr.state_from,
                      state_to=tr.state_to, value=tr.value)  # fmt: skip
        alert.st = tr.t
        events.append(alert)
    return sorted(events, key=lambda e: e.st)


@pytest.mark.parametrize(("above_s", "passes"), [(20, True), (40, False)])
def test_a_grafana_rule_gates_a_run_and_the_student_mistake_fails_it(
    above_s: float, passes: bool
) -> None:
    """The 32 s throttle: a p95 threshold of 20 s catches it, one of 40 s never does."""
    tsdb = TSDB()
    for s in range(0, 900, 15):
        tsdb.ingest("pizza_latency_seconds", {}, 32.0 if s >= 120 else 0.4, s)
    data = [query("A", "pizza_latency_seconds", instant=False, window=60),
            reduce("B", "A", "mean"), threshold("C", "B", "gt", above_s)]  # fmt: skip
    transitions, _ = run(load(rule("Pizza latency", data, "C", **{"for": "1m"})), tsdb, 900)
    found = {c.name: c for c in checks(_timeline(transitions, 120), Expect(detect_within=180))}
    assert found["detect_within"].passed is passes
    if not passes:
        assert found["detect_within"].detail == "never an alert fired"

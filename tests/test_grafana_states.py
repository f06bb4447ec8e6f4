"""Grafana's own state names on the timeline's alert events and in the post-mortem's detection
section (the events' `state_to` keeps the coarse pending/firing/resolved every reader knows)."""

from __future__ import annotations

from pathlib import Path

from harness.alerting.record import alert_event
from harness.alerting.tsdb import TSDB
from harness.report.facts import gather
from harness.report.sections import detection
from harness.timeline import Alert, ChaosStarted, RunStarted, Timeline, read_timeline
from tests.grafana_support import counter, failures_rule, load, run

FAILURES = "pizza_factory_failures_total"
T0 = 1_723_111_200.0


def test_alert_events_carry_grafana_states_into_the_post_mortem(tmp_path: Path) -> None:
    tsdb = TSDB()
    counter(tsdb, FAILURES, [(120, 300)], 900)
    transitions, _ = run(load(failures_rule(keepFiringFor="2m")), tsdb, 900)
    timeline = Timeline(tmp_path / "timeline.jsonl", 1.0, t0=T0)
    timeline.add(RunStarted(scenario="grafana", time_scale=1.0, seed=1), at=T0)
    timeline.add(ChaosStarted(type="fail"), at=T0 + 120)
    for tr in transitions:
        timeline.add(alert_event(tr), at=T0 + tr.t)
    timeline.close()
    events = read_timeline(tmp_path / "timeline.jsonl")
    alerts = [(e.state_to, e.grafana_state) for e in events if e.kind == "alert"]
    # Alerting -> Recovering (330 s) stays firing, so it is no alert event: Normal ends it
    assert alerts == [("pending", "Pending"), ("firing", "Alerting"), ("resolved", "Normal")]
    (items,) = [b[1] for b in detection(gather(events)) if b[0] == "ul"]
    assert "Grafana states: Pending at 2:30, Alerting at 3:30, Normal at 7:30" in items


def test_a_prometheus_rules_alert_has_no_grafana_state(tmp_path: Path) -> None:
    timeline = Timeline(tmp_path / "timeline.jsonl", 1.0, t0=T0)

    timeline.add(Alert(alertname="A", state_from="inactive", state_to="firing"), at=T0 + 1)
    timeline.close()
    (event,) = read_timeline(tmp_path / "timeline.jsonl")
    assert event.grafana_state is None
    items = next(b[1] for b in detection(gather([event])) if b[0] == "ul")
    assert not any(i.startswith("Grafana states") for i in items)

"""Alertmanager timing in fake time: group_wait, group_interval for changes and resolutions,
repeat_interval, and silence for an alert resolved before its group's first flush."""

from __future__ import annotations

import pytest

from harness.alerting import TSDB, AlertEngine, AlertTransition, Notification, Notifier
from harness.alerting.notify import fingerprint
from harness.alerting.promtool import load_series
from harness.alerting.rules import load_rules_yaml
from harness.errors import ConfigError


def tr(
    name: str, t: float, to: str, fired_at: float | None = None, **labels: str
) -> AlertTransition:
    frm = {"pending": "inactive", "firing": "pending", "resolved": "firing"}[to]
    return AlertTransition(
        t=t,
        alertname=name,
        labels={"alertname": name, **labels},
        annotations={"summary": name},
        state_from=frm,
        state_to=to,
        value=1.0,
        active_at=t - 60,
        fired_at=fired_at if fired_at is not None else (t if to == "firing" else None),
    )


def notifier(send_resolved: bool = True) -> Notifier:
    return Notifier(["alertname"], 30, 300, 3600, send_resolved=send_resolved)


def drain(n: Notifier, until: float) -> list[Notification]:
    """Calls due() at every next_due() up to `until`, as the runner's clock would."""
    out: list[Notification] = []
    while (t := n.next_due()) is not None and t <= until:
        out += n.due(t)
    return out


def summary(ns: list[Notification]) -> list[tuple[float, str, str, list[str]]]:
    return [(x.t, x.status, x.reason, [a.status for a in x.alerts]) for x in ns]


def test_a_new_group_waits_group_wait_then_notifies() -> None:
    n = notifier()
    n.receive([tr("A", 100, "firing", instance="1")], 100)
    assert n.due(129.999) == []
    (first,) = n.due(130)
    assert (first.t, first.status, first.reason) == (130, "firing", "first notification")
    assert first.group_key == '{}:{alertname="A"}'
    assert first.group_labels == {"alertname": "A"}
    (alert,) = first.alerts
    assert (alert.starts_at, alert.ends_at, alert.status) == (100, None, "firing")
    assert alert.labels == {"alertname": "A", "instance": "1"}
    assert alert.fingerprint == fingerprint((("alertname", "A"), ("instance", "1")))


def test_pending_never_reaches_the_notifier() -> None:
    n = notifier()
    n.receive([tr("A", 0, "pending")], 0)
    assert n.next_due() is None and drain(n, 10_000) == []


def test_an_alert_joining_a_group_waits_for_the_next_group_interval_tick() -> None:
    n = notifier()
    n.receive([tr("A", 0, "firing", instance="1")], 0)
    assert summary(n.due(30)) == [(30, "firing", "first notification", ["firing"])]
    n.receive([tr("A", 60, "firing", instance="2")], 60)
    assert n.due(90) == []  # not group_wait after it joined
    assert n.next_due() == 330
    assert summary(n.due(330)) == [(330, "firing", "new alerts", ["firing", "firing"])]


def test_resolved_goes_out_on_the_next_tick_and_the_group_ends() -> None:
    n = notifier()
    n.receive([tr("A", 0, "firing")], 0)
    n.due(30)
    n.receive([tr("A", 400, "resolved")], 400)
    assert n.due(629) == []
    (done,) = n.due(630)
    assert (done.status, done.reason) == ("resolved", "all alerts resolved")
    assert (done.alerts[0].status, done.alerts[0].ends_at) == ("resolved", 400)
    assert n.next_due() is None


def test_one_of_two_resolving_is_sent_with_the_other_still_firing() -> None:
    n = notifier()
    n.receive([tr("A", 0, "firing", instance="1"), tr("A", 0, "firing", instance="2")], 0)
    n.due(30)
    n.receive([tr("A", 100, "resolved", instance="2")], 100)
    assert summary(n.due(330)) == [(330, "firing", "resolved alerts", ["firing", "resolved"])]
    assert n.due(630) == []  # nothing changed since


def test_repeat_interval_is_checked_on_group_interval_ticks() -> None:
    n = notifier()
    n.receive([tr("A", 0, "firing")], 0)
    sent = drain(n, 4000)
    # sent at 30; at 3630 exactly 3600 s have passed, not more: the repeat waits for 3930
    assert [(x.t, x.reason) for x in sent] == [(30, "first notification"), (3930, "repeat")]


def test_an_alert_resolved_before_group_wait_is_never_notified() -> None:
    n = notifier()
    n.receive([tr("A", 0, "firing")], 0)
    n.receive([tr("A", 20, "resolved")], 20)
    assert drain(n, 10_000) == []
    assert n.next_due() is None


def test_send_resolved_false_sends_no_resolved_notification() -> None:
    n = notifier(send_resolved=False)
    n.receive([tr("A", 0, "firing")], 0)
    assert len(n.due(30)) == 1
    n.receive([tr("A", 100, "resolved")], 100)
    assert drain(n, 10_000) == []
    n.receive([tr("A", 2000, "firing")], 2000)  # a new episode in a new group
    assert summary(n.due(2030)) == [(2030, "firing", "first notification", ["firing"])]


def test_group_by_splits_groups_and_dots_group_by_everything() -> None:
    n = Notifier(["alertname", "route"], 30, 300, 3600)
    n.receive([tr("A", 0, "firing", route="/a"), tr("A", 0, "firing", route="/b")], 0)
    keys = sorted(x.group_key for x in n.due(30))
    assert keys == ['{}:{alertname="A", route="/a"}', '{}:{alertname="A", route="/b"}']
    n2 = Notifier(["..."], 30, 300, 3600)
    n2.receive([tr("A", 0, "firing", route="/a")], 0)
    assert n2.due(30)[0].group_labels == {"alertname": "A", "route": "/a"}


def test_ticks_before_a_receive_do_not_see_it() -> None:
    n = notifier()
    n.receive([tr("A", 0, "firing")], 0)
    n.receive([tr("B", 35, "firing")], 35)  # the caller never called due(30)
    ready = n.due(35)
    assert [(x.t, x.group_labels["alertname"]) for x in ready] == [(30, "A")]
    assert [(x.t, x.group_labels["alertname"]) for x in n.due(65)] == [(65, "B")]


def test_bad_timings_are_refused() -> None:
    with pytest.raises(ConfigError) as err:
        Notifier(["alertname"], group_interval_s=0)
    assert err.value.field == "group_interval_s"


def test_engine_to_notifier_on_the_semantics_note_example() -> None:
    db = TSDB()
    load_series(db, 'pizzas_failed_total{source="jwt-pizza-service"}', "0x30 1+1x30 31x60", 10)
    rules = load_rules_yaml(
        """
groups:
- name: jwt-pizza
  rules:
  - alert: PizzaCreationFailures
    expr: increase(pizzas_failed_total{source="jwt-pizza-service"}[1m]) > 0
    for: 1m
    keep_firing_for: 2m
""",
        "rules",
    )
    engine = AlertEngine(rules, 60, db)
    n = Notifier(["alertname"])  # Alertmanager defaults: 30 s, 5 m, 4 h
    sent: list[Notification] = []
    for minute in range(0, 31):
        t = minute * 60.0
        sent += drain(n, t - 0.001)
        n.receive(engine.evaluate(t), t)
        sent += n.due(t)
    # fires at 7m -> notified 30 s later; resolved at 13m -> next tick 7m30s + 2 * 5m = 17m30s
    assert summary(sent) == [
        (450, "firing", "first notification", ["firing"]),
        (1050, "resolved", "all alerts resolved", ["resolved"]),
    ]
    assert sent[0].alerts[0].starts_at == 420 and sent[1].alerts[0].ends_at == 780

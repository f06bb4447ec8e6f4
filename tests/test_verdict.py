"""Every gate can fail: each expectation checked against synthetic timelines, and exit codes."""

from __future__ import annotations

from typing import Any

from harness.errors import ExitCode
from harness.scenario import Expect
from harness.timeline import (
    Accounting,
    Acknowledged,
    Alert,
    ChaosEnded,
    ChaosStarted,
    Notified,
    Order,
    Recovered,
)
from harness.verdict import checks, exit_code


def at(st: float, event: Any) -> Any:
    event.st = st
    return event


def incident(fired: float | None = 200.0, recovered: float | None = 260.0) -> list[Any]:
    events = [at(100, ChaosStarted(type="fail"))]
    events += [at(100 + i, Order(diner="d", outcome="failed", start=0)) for i in range(5)]
    if fired is not None:
        events += [
            at(fired - 60, Alert(alertname="A", state_from="inactive", state_to="pending")),
            at(fired, Alert(alertname="A", state_from="pending", state_to="firing")),
            at(fired + 30, Notified(group="g", status="firing", alerts=["A"], who="Lee")),
            at(fired + 48, Acknowledged(who="Lee")),
        ]
    if recovered is not None:
        events += [
            at(recovered - 5, ChaosEnded(type="fail", how="resolved")),
            at(recovered, Recovered(how="probe")),
            at(recovered + 90, Alert(alertname="A", state_from="firing", state_to="resolved")),
        ]
    return [
        *events,
        Accounting(attempts=5, outcomes={"failed": 5}, service_orders=5, consistent=True),
    ]


ALL = Expect(
    detect_within=120,
    notify_within=150,
    acknowledge_within=160,
    recover_within=200,
    max_failed_orders=5,
    alert_resolves_within=120,
)


def verdict(events: list[Any], expect: Expect = ALL) -> dict[str, bool]:
    return {c.name: c.passed for c in checks(events, expect)}


def test_a_good_incident_passes_every_check() -> None:
    found = checks(incident(), ALL)
    assert {c.name for c in found} == {
        "detect_within",
        "notify_within",
        "acknowledge_within",
        "recover_within",
        "max_failed_orders",
        "no_alert_before_chaos",
        "alert_resolves_within",
    }
    assert all(c.passed for c in found)
    assert next(c for c in found if c.name == "detect_within").measured == 100
    assert exit_code(found, incident(), interrupted=False) == ExitCode.OK


def test_slow_detection_fails_detect_notify_and_acknowledge() -> None:
    result = verdict(incident(fired=250.0, recovered=280.0))
    assert not result["detect_within"] and not result["notify_within"]
    assert not result["acknowledge_within"] and result["recover_within"]


def test_an_alert_that_never_fires_fails_detection() -> None:
    found = {c.name: c for c in checks(incident(fired=None), ALL)}
    assert not found["detect_within"].passed and found["detect_within"].detail == (
        "never an alert fired"
    )


def test_no_recovery_fails_recover_and_alert_resolution() -> None:
    events = [*incident(recovered=None), at(400, ChaosEnded(type="fail", how="cleared"))]
    result = verdict(events)  # the harness's own rollback is not a recovery
    assert not result["recover_within"] and not result["alert_resolves_within"]


def test_too_many_failed_orders() -> None:
    assert not verdict(incident(), Expect(max_failed_orders=4))["max_failed_orders"]


def test_an_alert_before_the_chaos_is_a_false_alarm() -> None:
    early = at(50, Alert(alertname="Noise", state_from="pending", state_to="firing"))
    found = {c.name: c for c in checks([early, *incident()], ALL)}
    assert not found["no_alert_before_chaos"].passed
    assert "Noise fired at 50.0 s" in found["no_alert_before_chaos"].detail


def test_a_late_alert_resolution_fails() -> None:
    assert not verdict(incident(), Expect(alert_resolves_within=60))["alert_resolves_within"]


def test_exit_codes() -> None:
    failing = checks(incident(fired=None), ALL)
    assert exit_code(failing, incident(), interrupted=False) == ExitCode.EXPECTATION_FAILED
    assert exit_code(failing, incident(), interrupted=True) == ExitCode.INTERRUPTED
    broken = [e for e in incident() if not isinstance(e, Accounting)]
    broken.append(Accounting(attempts=5, outcomes={}, service_orders=9, consistent=False))
    assert exit_code(checks(broken, ALL), broken, interrupted=False) == ExitCode.HARNESS_ERROR


def test_timed_checks_give_scenario_and_wall_time() -> None:
    found = {c.name: c for c in checks(incident(), ALL, time_scale=60)}
    assert found["detect_within"].detail == (
        "an alert fired 100.0 s after the chaos started (1.67 s wall; limit 120 s)"
    )


def test_an_alert_before_the_chaos_is_not_a_detection() -> None:
    early = at(50, Alert(alertname="Noise", state_from="pending", state_to="firing"))
    events = [early, *incident(fired=None)]
    assert not verdict(events)["detect_within"]


def test_the_factory_ending_the_chaos_without_a_verified_probe_is_no_recovery() -> None:
    events = [e for e in incident() if not isinstance(e, Recovered)]
    assert not verdict(events)["recover_within"]

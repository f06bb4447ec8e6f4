"""Webhook receivers: real payload samples (tests/payloads, written from the public
specifications) become timeline events; malformed ones get a 400 naming the field and are
recorded, never a crash."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from harness.receivers import RECEIVERS, AlertSignal, PageSignal, TimelineSink, receiver_routes
from harness.timeline import (
    Acknowledged,
    Alert,
    Event,
    Notified,
    ReceiverRejected,
    Timeline,
    read_timeline,
)
from tests.push_support import sample, serving

ARRIVAL = 1_772_464_000.0  # 2026-03-02T15:06:40Z


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


class Recorder:
    """A TimelineSink writing into a list of (at, event)."""

    def __init__(self) -> None:
        self.events: list[tuple[float, Event]] = []
        self.sink = TimelineSink(lambda event, at: self.events.append((at, event)))
        app = Starlette(routes=receiver_routes(self.sink, now=lambda: ARRIVAL))
        self.client = TestClient(app)

    def post(self, path: str, payload: Any) -> httpx.Response:
        if isinstance(payload, (dict, list)):
            return self.client.post(path, json=payload)
        return self.client.post(path, content=payload, headers={"content-type": "application/json"})

    def kinds(self) -> list[str]:
        return [e.kind for _, e in self.events]


@pytest.fixture
def hooks() -> Recorder:
    return Recorder()


def test_every_receiver_is_registered_with_its_paths() -> None:
    paths = {p for r in RECEIVERS.values() for p in r.paths}
    assert paths >= {
        "/hooks/alertmanager",
        "/hooks/grafana",
        "/hooks/oncall",
        "/hooks/oncall/formatted",
        "/hooks/pagerduty",
        "/v2/enqueue",
    }


def test_alertmanager_firing_then_resolved(hooks: Recorder) -> None:
    answer = hooks.post("/hooks/alertmanager", sample("alertmanager-firing.json"))
    assert answer.status_code == 200 and answer.json()["signals"] == 2
    [(at_alert, alert), (at_page, page)] = hooks.events
    assert isinstance(alert, Alert) and alert.state_to == "firing"
    assert alert.alertname == "PizzaCreationFailures" and alert.labels["severity"] == "critical"
    assert at_alert == pytest.approx(epoch("2026-03-02T15:07:00.123456")), "startsAt, not arrival"
    assert isinstance(page, Notified) and page.status == "firing" and at_page == ARRIVAL
    assert page.who == "chaos-harness" and page.reason == "first notification"
    assert page.alerts == ["PizzaCreationFailures"] and "PizzaCreationFailures" in page.group

    hooks.events.clear()
    assert hooks.post("/hooks/alertmanager", sample("alertmanager-resolved.json")).is_success
    [(at_alert, alert), (_, page)] = hooks.events
    assert isinstance(alert, Alert) and (alert.state_from, alert.state_to) == ("firing", "resolved")
    assert at_alert == epoch("2026-03-02T15:19:00")
    assert isinstance(page, Notified) and page.status == "resolved"


def test_a_repeated_firing_notification_is_a_new_page_but_not_a_new_firing(hooks: Recorder) -> None:
    for _ in range(2):
        hooks.post("/hooks/alertmanager", sample("alertmanager-firing.json"))
    assert hooks.kinds() == ["alert", "notified", "notified"]


def test_grafana_contact_point_firing_then_resolved(hooks: Recorder) -> None:
    assert hooks.post("/hooks/grafana", sample("grafana-firing.json")).status_code == 200
    assert hooks.post("/hooks/grafana", sample("grafana-resolved.json")).status_code == 200
    alerts = [(at, e) for at, e in hooks.events if isinstance(e, Alert)]
    assert [e.state_to for _, e in alerts] == ["firing", "resolved"]
    assert alerts[0][1].alertname == "Pizza creation failures"
    assert alerts[0][0] == epoch("2026-03-02T15:07:10")
    assert alerts[1][0] == epoch("2026-03-02T15:16:10")
    pages = [e for _, e in hooks.events if isinstance(e, Notified)]
    assert [p.status for p in pages] == ["firing", "resolved"] and pages[0].who == "harness-webhook"


def test_oncall_outgoing_webhooks_fire_page_acknowledge_and_resolve(hooks: Recorder) -> None:
    for name in ("created", "escalation", "acknowledge", "resolve"):
        payload = sample(f"oncall-{'alert-group-created' if name == 'created' else name}.json")
        assert hooks.post("/hooks/oncall", payload).status_code == 200, name
    assert hooks.kinds() == ["alert", "notified", "acknowledged", "alert", "notified"]
    (t_fired, fired), (t_paged, paged), (t_ack, ack), (_, resolved), (_, closed) = hooks.events
    assert isinstance(fired, Alert) and fired.alertname == "Pizza creation failures"
    assert t_fired == pytest.approx(epoch("2026-03-02T15:07:41.512388"))
    assert isinstance(paged, Notified) and paged.who == "oncall-student"
    assert t_paged == pytest.approx(epoch("2026-03-02T15:08:12.004512"))
    assert isinstance(ack, Acknowledged) and ack.who == "oncall-student"
    assert t_ack == pytest.approx(epoch("2026-03-02T15:09:41.112233"))
    assert isinstance(resolved, Alert) and resolved.state_to == "resolved"
    assert isinstance(closed, Notified) and closed.status == "resolved"


def test_oncall_unacknowledge_silence_and_status_change(hooks: Recorder) -> None:
    payload = sample("oncall-acknowledge.json")
    for event_type in ("unacknowledge", "silence"):
        payload["event"]["type"] = event_type
        assert hooks.post("/hooks/oncall", payload).status_code == 200
    assert hooks.events == [], "the timeline has no unacknowledged event; silence changes nothing"
    assert [s.action for s in hooks.sink.received if isinstance(s, PageSignal)] == [
        "unacknowledged"
    ]
    payload["event"]["type"] = "status change"  # read from alert_group.state: acknowledged
    hooks.post("/hooks/oncall", payload)
    assert hooks.kinds() == ["acknowledged"]


def test_oncall_formatted_webhook_alerting_then_ok(hooks: Recorder) -> None:
    payload = sample("oncall-formatted.json")
    assert hooks.post("/hooks/oncall/formatted", payload).status_code == 200
    hooks.post("/hooks/oncall/formatted", {**payload, "state": "OK"})
    assert [e.state_to for _, e in hooks.events if isinstance(e, Alert)] == ["firing", "resolved"]


def test_pagerduty_trigger_acknowledge_resolve_answered_like_pagerduty(hooks: Recorder) -> None:
    answer = hooks.post("/v2/enqueue", sample("pagerduty-trigger.json"))
    assert answer.status_code == 202
    assert answer.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "jwt-pizza/PizzaCreationFailures",
    }
    assert hooks.post("/hooks/pagerduty", sample("pagerduty-acknowledge.json")).status_code == 202
    assert hooks.post("/v2/enqueue", sample("pagerduty-resolve.json")).status_code == 202
    assert hooks.kinds() == ["alert", "notified", "acknowledged", "alert", "notified"]
    (t_fired, fired), _, (_, ack), (_, resolved), _ = hooks.events
    assert isinstance(fired, Alert) and fired.alertname.startswith("Pizza orders failing")
    assert fired.labels["class"] == "factory 5xx" and t_fired == epoch("2026-03-02T15:07:10")
    assert isinstance(ack, Acknowledged) and ack.who == "pagerduty"  # no client given
    assert isinstance(resolved, Alert) and resolved.alertname == fired.alertname, "from trigger"


def test_a_pagerduty_trigger_without_dedup_key_gets_one(hooks: Recorder) -> None:
    payload = sample("pagerduty-trigger.json")
    del payload["dedup_key"]
    key = hooks.post("/v2/enqueue", payload).json()["dedup_key"]
    assert len(key) == 32
    signal = hooks.sink.received[0]
    assert isinstance(signal, AlertSignal) and signal.key == key


def test_pagerduty_refusals_look_like_pagerduty(hooks: Recorder) -> None:
    answer = hooks.post("/v2/enqueue", sample("pagerduty-invalid.json"))
    assert answer.status_code == 400
    body = answer.json()
    assert body["status"] == "invalid event" and body["message"] == "Event object is invalid"
    assert any(e.startswith("payload.severity") for e in body["errors"])
    payload = sample("pagerduty-trigger.json")
    answer = hooks.post("/v2/enqueue", {**payload, "routing_key": "short"})
    assert "Length of 'routing_key' is incorrect" in answer.json()["errors"][0]
    no_key = hooks.post("/v2/enqueue", {**sample("pagerduty-resolve.json"), "dedup_key": None})
    assert "'dedup_key' is missing" in no_key.json()["errors"][0]
    assert hooks.kinds() == ["receiver_rejected"] * 3


def _mutate(name: str, change: Any) -> Any:
    payload = copy.deepcopy(sample(name))
    change(payload)
    return payload


MALFORMED = [
    ("/hooks/alertmanager", b'{"version": "4", "alerts": [', "not valid JSON"),
    ("/hooks/alertmanager", b'[{"version": "4"}]', "must be a JSON object"),
    ("/hooks/alertmanager", sample("alertmanager-wrong-version.json"), "version"),
    ("/hooks/alertmanager", sample("grafana-firing.json"), "version"),
    (
        "/hooks/alertmanager",
        _mutate("alertmanager-firing.json", lambda p: p.pop("alerts")),
        "alerts",
    ),
    (
        "/hooks/alertmanager",
        _mutate("alertmanager-firing.json", lambda p: p.update(alerts=[])),
        "alerts",
    ),
    (
        "/hooks/alertmanager",
        _mutate("alertmanager-firing.json", lambda p: p["alerts"][0].update(status="pending")),
        "alerts[0].status",
    ),
    (
        "/hooks/alertmanager",
        _mutate("alertmanager-firing.json", lambda p: p["alerts"][0].update(labels=["x"])),
        "alerts[0].labels",
    ),
    (
        "/hooks/alertmanager",
        _mutate("alertmanager-firing.json", lambda p: p["alerts"][0].update(startsAt="yesterday")),
        "alerts[0].startsAt",
    ),
    ("/hooks/grafana", sample("alertmanager-firing.json"), "version"),
    ("/hooks/grafana", _mutate("grafana-firing.json", lambda p: p.pop("orgId")), "orgId"),
    (
        "/hooks/oncall",
        _mutate("oncall-acknowledge.json", lambda p: p["event"].update(type="snooze")),
        "event.type",
    ),
    (
        "/hooks/oncall",
        _mutate("oncall-acknowledge.json", lambda p: p.pop("alert_group")),
        "alert_group",
    ),
    ("/hooks/oncall/formatted", {"message": "no title"}, "alert_uid or title"),
    ("/hooks/oncall/formatted", {"title": "x", "state": "critical"}, "state"),
    ("/hooks/pagerduty", {"routing_key": "R0UT1NGKEY32CHARSxxxxxxxxxxxxxxx"}, "event_action"),
]


@pytest.mark.parametrize(("path", "payload", "names"), MALFORMED)
def test_malformed_payloads_get_400_naming_the_field_and_are_recorded(
    hooks: Recorder, path: str, payload: Any, names: str
) -> None:
    answer = hooks.post(path, payload)
    assert answer.status_code == 400
    body = answer.json()
    text = json.dumps(body)
    assert names in text, body
    assert hooks.sink.received == []
    [(_, rejected)] = hooks.events
    assert isinstance(rejected, ReceiverRejected) and rejected.status == 400
    assert rejected.path == path and names in rejected.reason + " ".join(rejected.errors)


def test_unknown_extra_fields_are_tolerated(hooks: Recorder) -> None:
    payload = sample("alertmanager-firing.json")
    payload["enrichments"] = {"anything": [1, 2]}
    payload["alerts"][0]["imageURL"] = "https://example.grafana.net/i.png"
    payload["alerts"][0]["annotations"]["runbook_url"] = "https://runbooks.example/pizza"
    assert hooks.post("/hooks/alertmanager", payload).status_code == 200
    assert hooks.kinds() == ["alert", "notified"]


def test_an_oversized_body_is_refused_with_413(hooks: Recorder) -> None:
    answer = hooks.post("/hooks/alertmanager", b"{" + b" " * (2 * 1024 * 1024) + b"}")
    assert answer.status_code == 413 and hooks.kinds() == ["receiver_rejected"]


def test_refusals_and_events_land_in_a_real_timeline(tmp_path: Path) -> None:
    timeline = Timeline(tmp_path / "timeline.jsonl", time_scale=1.0, t0=ARRIVAL - 60)
    app = Starlette(routes=receiver_routes(TimelineSink(timeline.add), now=lambda: ARRIVAL))
    client = TestClient(app)
    client.post("/hooks/grafana", json=sample("grafana-firing.json"))
    client.post("/hooks/grafana", content=b"not json")
    timeline.close()
    events = read_timeline(tmp_path / "timeline.jsonl")
    assert [e.kind for e in events] == ["alert", "notified", "receiver_rejected"]
    assert events[1].st == 60.0 and "not valid JSON" in events[2].reason


def test_receivers_on_a_real_uvicorn_server() -> None:
    events: list[tuple[float, Event]] = []
    app = Starlette(routes=receiver_routes(TimelineSink(lambda e, at: events.append((at, e)))))
    with serving(app) as url:
        fired = httpx.post(f"{url}/hooks/alertmanager", json=sample("alertmanager-firing.json"))
        paged = httpx.post(f"{url}/v2/enqueue", json=sample("pagerduty-trigger.json"))
        acked = httpx.post(f"{url}/hooks/oncall", json=sample("oncall-acknowledge.json"))
        broken = httpx.post(f"{url}/hooks/grafana", content=b"{")
        wrong = httpx.get(f"{url}/hooks/grafana")
    assert (fired.status_code, paged.status_code, acked.status_code) == (200, 202, 200)
    assert (broken.status_code, wrong.status_code) == (400, 405)
    kinds = [e.kind for _, e in events]
    assert kinds == ["alert", "notified", "alert", "notified", "acknowledged", "receiver_rejected"]

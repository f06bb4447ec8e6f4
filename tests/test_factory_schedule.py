"""One fault model on the factory: the real chaos types as an episode with probability and `for`,
extra faults with `at` and `for`, the first request each acted on and each one's end."""

from __future__ import annotations

import time

import pytest
from conftest import ADMIN, ORDER, VENDOR
from starlette.testclient import TestClient

from harness.factory.faults import FaultSpec


def order(factory: TestClient):
    return factory.post("/api/order", json=ORDER, headers=VENDOR)


def transitions(factory: TestClient) -> list[dict]:
    answer = factory.get("/admin/transitions", headers=ADMIN).json()
    return [t for t in answer if t["event"] != "fault_added"]


def test_episode_probability_spares_some_orders_and_only_hit_ones_carry_the_url(
    factory: TestClient,
) -> None:
    body = {"type": "fail", "probability": 0.3}
    chaos = factory.put("/admin/chaos", json=body, headers=ADMIN).json()
    answers = [order(factory) for _ in range(200)]
    failed = [a for a in answers if a.status_code == 500]
    assert 30 <= len(failed) <= 90
    assert all(a.json()["reportUrl"] == chaos["reportUrl"] for a in failed)
    assert all("reportUrl" not in a.json() for a in answers if a.status_code == 200)


def test_episode_for_expires_at_its_end_and_the_report_url_then_finds_no_chaos(
    factory: TestClient,
) -> None:
    chaos = factory.put("/admin/chaos", json={"type": "fail", "for": 0.2}, headers=ADMIN).json()
    assert order(factory).status_code == 500
    time.sleep(0.25)
    assert order(factory).status_code == 200
    kinds = [(t["event"], t.get("name")) for t in transitions(factory)]
    assert kinds == [("chaos_armed", "fail"), ("chaos_started", "fail"), ("chaos_expired", "fail")]
    armed, expired = transitions(factory)[0], transitions(factory)[-1]
    assert expired["epoch"] - armed["epoch"] == pytest.approx(0.2, abs=0.02)  # its end, exactly
    url = chaos["reportUrl"].removeprefix("http://testserver")
    assert factory.get(url).json() == {"message": "No chaos currently executing"}


def test_a_fault_with_at_and_for_acts_only_inside_its_time(factory: TestClient) -> None:
    spec = {"kind": "error", "name": "blip", "at": 0.15, "for": 0.2, "settings": {"status": 503}}
    assert factory.post("/admin/faults", json=spec, headers=ADMIN).status_code == 201
    assert order(factory).status_code == 200  # not yet
    time.sleep(0.17)
    assert order(factory).status_code == 503
    time.sleep(0.22)
    assert order(factory).status_code == 200  # over
    events = transitions(factory)
    assert [(t["event"], t["name"]) for t in events] == [
        ("fault_started", "blip"),
        ("fault_ended", "blip"),
    ]
    listed = factory.get("/admin/faults", headers=ADMIN).json()[0]
    assert events[1]["at"] == listed["endDate"]  # recorded at its end, not when noticed


def test_two_overlapping_faults_both_act_and_both_are_recorded(factory: TestClient) -> None:
    for spec in (
        {"kind": "latency", "name": "slow", "settings": {"fixed_ms": 50}},
        {"kind": "error", "name": "broken", "probability": 0.5, "settings": {"status": 503}},
    ):
        assert factory.post("/admin/faults", json=spec, headers=ADMIN).status_code == 201
    started = time.monotonic()
    statuses = [order(factory).status_code for _ in range(20)]
    assert time.monotonic() - started >= 20 * 0.05 and {200, 503} == set(statuses)
    names = {t["name"] for t in transitions(factory) if t["event"] == "fault_started"}
    assert names == {"slow", "broken"}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/admin/faults", {"kind": "fail"}, "kind"),
        ("/admin/chaos", {"type": "latency"}, "type"),
        ("/admin/chaos", {"type": "fail", "start": "now", "at": 3}, "start"),
        ("/admin/chaos", {"type": "throttle", "paths": ["/api/docs"]}, "body"),
    ],
)
def test_real_types_are_the_episode_and_extra_kinds_are_faults(
    factory: TestClient, path: str, body: dict, field: str
) -> None:
    method = factory.post if path.endswith("faults") else factory.put
    answer = method(path, json=body, headers=ADMIN)
    assert answer.status_code == 400 and answer.json()["field"] == field, answer.text


def test_vendor_chaos_types_stay_the_real_three(factory: TestClient) -> None:
    answer = factory.put("/api/vendor/chaos/latency", headers=VENDOR)
    assert (answer.status_code, answer.json()) == (400, {"message": "Invalid chaos type"})


def test_scaling_a_spec_shrinks_every_length_of_time() -> None:
    spec = FaultSpec.model_validate(
        {
            "kind": "flap",
            "at": "2m",
            "for": "5m",
            "settings": {
                "on_s": 60,
                "off_s": 30,
                "fault": {"kind": "latency", "settings": {"fixed_ms": 6000}},
            },
        }
    )
    fast = spec.scaled(1 / 60)
    assert (fast.at, fast.for_) == (2.0, 5.0)
    assert (fast.settings["on_s"], fast.settings["off_s"]) == (1.0, 0.5)
    assert fast.settings["fault"]["settings"]["fixed_ms"] == 100.0
    assert fast.wire()["for"] == 5.0

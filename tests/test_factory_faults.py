"""The extra fault kinds: each one's effect, the shared probability and paths, and bad settings."""

from __future__ import annotations

import random
import time

import pytest
from conftest import ADMIN, ORDER, VENDOR
from starlette.testclient import TestClient

from harness.factory.faults import KINDS, Fault, FaultContext, real_types
from harness.factory.faults.flap import Flap
from harness.factory.faults.latency import Latency


def add(factory: TestClient, spec: dict) -> dict:
    answer = factory.post("/admin/faults", json=spec, headers=ADMIN)
    assert answer.status_code == 201, answer.text
    return answer.json()


def order(factory: TestClient):
    return factory.post("/api/order", json=ORDER, headers=VENDOR)


def test_every_fault_kind_registered_itself() -> None:
    extra = {"latency", "error", "hang", "reset", "malformed", "ratelimit", "flap"}
    assert set(KINDS) == extra | {"fail", "throttle", "badjwt"}
    assert real_types() == ("badjwt", "fail", "throttle")


def test_a_kind_registered_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="registered twice"):

        class Again(Fault, kind="latency"):
            pass

    assert KINDS["latency"] is Latency


def test_latency_delays_then_the_pizza_is_made(factory: TestClient) -> None:
    add(factory, {"kind": "latency", "settings": {"fixed_ms": 120}})
    started = time.monotonic()
    answer = order(factory)
    assert time.monotonic() - started >= 0.12 and answer.status_code == 200


def test_latency_lognormal_and_jitter_stay_in_bounds() -> None:
    ctx = FaultContext(None, 0.0, 0.0, random.Random(1))  # type: ignore[arg-type]
    jitter = Latency(fixed_ms=100, jitter_ms=50)
    assert all(100 <= jitter.delay_ms(ctx) <= 150 for _ in range(200))
    lognormal = Latency(lognormal_median_ms=200, lognormal_sigma=0.5, max_ms=1000)
    delays = sorted(lognormal.delay_ms(ctx) for _ in range(2001))
    assert 150 < delays[1000] < 260 and max(delays) <= 1000


def test_error_answers_the_chosen_status_and_body(factory: TestClient) -> None:
    add(factory, {"kind": "error", "settings": {"status": 502, "body": {"message": "bad gateway"}}})
    answer = order(factory)
    assert (answer.status_code, answer.json()) == (502, {"message": "bad gateway"})


def test_probability_is_applied_once_for_every_kind(factory: TestClient) -> None:
    add(factory, {"kind": "error", "probability": 0.5, "settings": {"status": 503}})
    statuses = [order(factory).status_code for _ in range(200)]
    assert 60 <= statuses.count(503) <= 140 and statuses.count(200) == 200 - statuses.count(503)


def test_probability_zero_never_fires(factory: TestClient) -> None:
    add(factory, {"kind": "error", "probability": 0.0})
    assert {order(factory).status_code for _ in range(50)} == {200}


def test_faults_only_act_on_their_paths(factory: TestClient) -> None:
    add(factory, {"kind": "error", "paths": ["/api/order/verify"]})
    assert order(factory).status_code == 200
    assert factory.post("/api/order/verify", json={"jwt": "x"}).status_code == 500


@pytest.mark.parametrize(("mode", "body_start"), [("not_json", "<html>"), ("truncated", '{"jwt"')])
def test_malformed_answers_200_with_a_body_that_is_not_json(
    factory: TestClient, mode: str, body_start: str
) -> None:
    add(factory, {"kind": "malformed", "settings": {"mode": mode}})
    answer = order(factory)
    assert answer.status_code == 200 and answer.text.startswith(body_start)
    with pytest.raises(ValueError):
        answer.json()


def test_ratelimit_answers_429_with_retry_after(factory: TestClient) -> None:
    add(factory, {"kind": "ratelimit", "settings": {"retry_after_s": 7}})
    answer = order(factory)
    assert answer.status_code == 429 and answer.headers["retry-after"] == "7"


def test_flap_is_on_then_off_from_when_it_was_armed() -> None:
    flap = Flap(on_s=2, off_s=3, fault={"kind": "error"})
    phases = [flap.is_on(FaultContext(None, 100.0, 100.0 + t, random.Random())) for t in range(10)]  # type: ignore[arg-type]
    assert phases == [True, True, False, False, False] * 2


def test_flap_wraps_another_fault(factory: TestClient) -> None:
    add(
        factory,
        {
            "kind": "flap",
            "settings": {
                "on_s": 60,
                "off_s": 1,
                "fault": {"kind": "error", "settings": {"status": 418}},
            },
        },
    )
    assert order(factory).status_code == 418


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"kind": "teleport"}, "kind"),
        ({"kind": "latency", "settings": {"fixed_ms": -1}}, "settings.fixed_ms"),
        ({"kind": "error", "settings": {"status": 200}}, "settings.status"),
        ({"kind": "error", "probability": 2}, "probability"),
        ({"kind": "flap", "settings": {"on_s": 1}}, "settings.off_s"),
        ({"kind": "flap", "settings": {"on_s": 1, "off_s": 1, "fault": {"kind": "nope"}}}, "kind"),
        ({"kind": "malformed", "settings": {"mode": "weird"}}, "settings.mode"),
    ],
)
def test_bad_fault_settings_are_refused_naming_the_field(
    factory: TestClient, spec: dict, field: str
) -> None:
    answer = factory.post("/admin/faults", json=spec, headers=ADMIN)
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"] == field
    assert factory.get("/admin/faults", headers=ADMIN).json() == []


def test_faults_are_listed_and_removed_by_name(factory: TestClient) -> None:
    add(factory, {"kind": "error", "name": "outage"})
    named = add(factory, {"kind": "latency"})
    assert named["name"].startswith("latency-")
    listed = factory.get("/admin/faults", headers=ADMIN).json()
    assert [f["name"] for f in listed] == ["outage", named["name"]]
    assert all(f["armedDate"].endswith("Z") for f in listed)
    assert factory.delete("/admin/faults/outage", headers=ADMIN).json() == {"removed": 1}
    assert factory.delete("/admin/faults/outage", headers=ADMIN).status_code == 404
    assert order(factory).status_code == 200
    assert factory.delete("/admin/faults", headers=ADMIN).json() == {"removed": 1}
    events = [t["event"] for t in factory.get("/admin/transitions", headers=ADMIN).json()]
    assert events == [
        "fault_added",
        "fault_added",
        "fault_removed",
        "fault_started",  # the order the latency delayed
        "fault_removed",
    ]

"""Each chaos type from arming, through the first affected order, to the report and the first
good pizza; wrong and stale fix codes; the chaos-start policies; the control plane's guard."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import ADMIN, ORDER, VENDOR, VENDOR_KEY, factory_config
from starlette.testclient import TestClient

from harness.factory import ChaosStart, create_app
from harness.factory.config import MOUNTAIN


def arm(factory: TestClient, chaos_type: str, start: str = "now") -> dict:
    answer = factory.put("/admin/chaos", json={"type": chaos_type, "start": start}, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return answer.json()


def order(factory: TestClient):
    return factory.post("/api/order", json=ORDER, headers=VENDOR)


def events(factory: TestClient) -> list[str]:
    return [t["event"] for t in factory.get("/admin/transitions", headers=ADMIN).json()]


def test_fail_chaos_cycle(factory: TestClient) -> None:
    chaos = arm(factory, "fail")
    failed = order(factory)
    assert failed.status_code == 500
    assert failed.json() == {"message": "chaos monkey", "reportUrl": chaos["reportUrl"]}
    assert chaos["reportUrl"] == (
        f"http://testserver/api/support/{VENDOR_KEY}/report/{chaos['fixCode']}"
    )
    assert events(factory) == ["chaos_armed", "chaos_started"]
    resolved = factory.get(chaos["reportUrl"].removeprefix("http://testserver"))
    assert resolved.json() == {"message": "Problem resolved. Pizza is back on the menu!"}
    assert set(order(factory).json()) == {"jwt"}
    assert events(factory) == ["chaos_armed", "chaos_started", "chaos_resolved"]
    again = factory.get(chaos["reportUrl"].removeprefix("http://testserver"))
    assert again.json() == {"message": "No chaos currently executing"}


def test_first_affected_order_is_the_start_transition(factory: TestClient) -> None:
    arm(factory, "fail", start="after:0.3")
    assert order(factory).status_code == 200  # not started yet
    assert events(factory) == ["chaos_armed"]
    time.sleep(0.35)
    assert order(factory).status_code == 500
    order(factory)
    transitions = factory.get("/admin/transitions", headers=ADMIN).json()
    assert [t["event"] for t in transitions] == ["chaos_armed", "chaos_started"]
    assert transitions[1]["epoch"] >= transitions[0]["epoch"] + 0.3


def test_throttle_waits_the_order_delay_then_makes_a_good_pizza_with_report_url(
    factory: TestClient,
) -> None:
    chaos = arm(factory, "throttle")
    started = time.monotonic()
    answer = order(factory)
    assert time.monotonic() - started >= 0.05
    assert answer.status_code == 200
    assert answer.json()["reportUrl"] == chaos["reportUrl"]
    verified = factory.post("/api/order/verify", json={"jwt": answer.json()["jwt"]})
    assert verified.status_code == 200


def test_badjwt_answers_200_with_a_pizza_that_fails_verification(factory: TestClient) -> None:
    chaos = arm(factory, "badjwt")
    answer = order(factory)
    assert answer.status_code == 200
    assert answer.json()["jwt"].startswith("dead") and answer.json()["jwt"].count(".") == 2
    assert answer.json()["reportUrl"] == chaos["reportUrl"]
    assert factory.post("/api/order/verify", json={"jwt": answer.json()["jwt"]}).status_code == 403


def test_wrong_and_stale_fix_codes_leave_the_chaos_running(factory: TestClient) -> None:
    first = arm(factory, "fail")
    second = arm(factory, "fail")  # re-arming makes a new fix code
    assert first["fixCode"] != second["fixCode"]
    for code in ("wrongcod", first["fixCode"]):
        answer = factory.get(f"/api/support/{VENDOR_KEY}/report/{code}")
        assert (answer.status_code, answer.json()) == (400, {"message": "Problem unresolved"})
    assert order(factory).status_code == 500
    reports = factory.get("/admin/reports", headers=ADMIN).json()
    assert [r["outcome"] for r in reports] == ["unresolved", "unresolved"]
    assert all(r["at"].endswith("Z") and r["status"] == 400 for r in reports)


def test_unknown_api_key_in_report_url_is_no_chaos(factory: TestClient) -> None:
    chaos = arm(factory, "fail")
    answer = factory.get(f"/api/support/someoneelse/report/{chaos['fixCode']}")
    assert answer.json() == {"message": "No chaos currently executing"}
    assert order(factory).status_code == 500


def test_correct_fix_code_before_the_chaos_started_resolves_it(tmp_path: Path) -> None:
    config = factory_config(chaos_start=ChaosStart("tomorrow"))
    with TestClient(create_app(config, tmp_path)) as factory:
        factory.put("/api/vendor/chaos/fail", headers=VENDOR)
        assert order(factory).status_code == 200  # starts tomorrow
        code = factory.get("/admin/state", headers=ADMIN).json()["chaos"]["fixCode"]
        answer = factory.get(f"/api/support/{VENDOR_KEY}/report/{code}")
        assert answer.json() == {"message": "Problem resolved. Pizza is back on the menu!"}
        assert events(factory) == ["chaos_armed", "chaos_resolved"]  # never started


def test_vendor_chaos_starts_tomorrow_between_8_and_14_mountain(tmp_path: Path) -> None:
    config = factory_config(chaos_start=ChaosStart("tomorrow"))
    with TestClient(create_app(config, tmp_path)) as factory:
        factory.put("/api/vendor/chaos/throttle", headers=VENDOR)
        start = factory.get("/api/vendor", headers=VENDOR).json()["chaos"]["startDate"]
    local = datetime.fromisoformat(start.replace("Z", "+00:00")).astimezone(MOUNTAIN)
    assert local.date() == datetime.now(MOUNTAIN).date() + timedelta(days=1)
    assert 8 <= local.hour <= 13 and local.second == 0


def test_window_start_is_seeded_and_inside_the_window() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    window = ChaosStart.parse("window:10-20")
    starts = [window.start_date(now, random.Random(3)) for _ in range(2)]
    assert starts[0] == starts[1]
    assert timedelta(seconds=10) <= starts[0] - now <= timedelta(seconds=20)
    assert ChaosStart.parse("after:5").start_date(now, random.Random()) == now + timedelta(
        seconds=5
    )


@pytest.mark.parametrize("text", ["soon", "window:5-1", "after:-3", ""])
def test_bad_chaos_start_names_the_option_and_the_fix(text: str) -> None:
    from harness.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        ChaosStart.parse(text)
    assert "--chaos-start" in str(caught.value) and "fix" in str(caught.value)


def test_control_plane_needs_the_admin_token(factory: TestClient) -> None:
    for headers in ({}, {"authorization": "Bearer wrong"}, VENDOR):
        answer = factory.get("/admin/state", headers=headers)
        assert answer.status_code == 401 and "admin token" in answer.json()["message"]
        assert (
            factory.put("/admin/chaos", json={"type": "fail"}, headers=headers).status_code == 401
        )
    assert order(factory).status_code == 200  # nothing was armed


def test_control_plane_refuses_bad_arming_with_the_field_named(factory: TestClient) -> None:
    bad_type = factory.put("/admin/chaos", json={"type": "boom"}, headers=ADMIN)
    assert bad_type.status_code == 400 and bad_type.json()["field"] == "type"
    bad_start = factory.put("/admin/chaos", json={"type": "fail", "start": "later"}, headers=ADMIN)
    assert bad_start.status_code == 400 and bad_start.json()["field"] == "start"
    extra = factory.put("/admin/chaos", json={"type": "fail", "colour": 1}, headers=ADMIN)
    assert extra.status_code == 400 and extra.json()["field"] == "colour"


def test_clear_order_delay_and_reset(factory: TestClient) -> None:
    arm(factory, "fail")
    assert factory.delete("/admin/chaos", headers=ADMIN).json() == {"message": "Chaos cleared"}
    assert order(factory).status_code == 200
    assert factory.put("/admin/order-delay", json={"orderDelayMs": 0}, headers=ADMIN).is_success
    assert factory.get("/admin/state", headers=ADMIN).json()["orderDelayMs"] == 0
    assert "order_delay_changed" in events(factory)
    assert factory.post("/admin/reset", headers=ADMIN).is_success
    state = factory.get("/admin/state", headers=ADMIN).json()
    assert state["orderDelayMs"] == 50 and state["chaos"]["type"] == "none"
    assert events(factory) == ["reset"]
    assert factory.get("/admin/reports", headers=ADMIN).json() == []

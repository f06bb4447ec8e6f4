"""A team's own service, in process: report URLs by address, the time scale a real service can
follow, the warm-up's metric check, the diners' series, pushed samples, the menu canary and the
honest accounting (issue: a team's real jwt-pizza-service, judged honestly)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.alerting.diners import DinerSeries
from harness.alerting.tsdb import TSDB
from harness.errors import ConfigError
from harness.report_urls import on_factory
from harness.runner.finish import account
from harness.runner.inbox import PushedSamples
from harness.runner.preflight import PreflightError, menu_item, refused
from harness.runner.stack import Stack
from harness.runner.warmup import missing, too_slow_for_scale
from harness.scenario import load_scenario
from harness.timeline import Timeline
from harness.timescale import auto_scale, check_scale, limits, wall_load

FACTORY = "http://127.0.0.1:8091"
SCENARIOS = Path(__file__).parent.parent / "scenarios"


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:8091/api/support/ab12/report/XYZ",
        "http://127.0.0.1:8091/api/support/ab12/report/XYZ",
        "http://[::1]:8091/api/support/ab12/report/XYZ",
        "http://LOCALHOST:8091/api/support/ab12/report/XYZ",
    ],
)
def test_the_factory_is_recognised_by_address_and_called_at_its_own(url: str) -> None:
    assert on_factory(url, FACTORY) == f"{FACTORY}/api/support/ab12/report/XYZ"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8092/api/support/x",  # another port
        "http://127.0.0.2:8091/api/support/x",  # another loopback address
        "http://evil.example:8091/api/support/x",
        "http://127.0.0.1:8091@evil.example/x",  # userinfo trick
        "http://user:pw@127.0.0.1:8091/x",
        "http://127.0.0.1.evil.example:8091/x",
        "ftp://127.0.0.1:8091/x",
        "http://127.0.0.1:8091/a\r\nHost: evil",
        "http://127.0.0.1:8091/" + "a" * 70_000,
        "http://127.0.0.1:99999/x",
    ],
)
def test_every_url_that_does_not_name_the_factory_is_refused(url: str) -> None:
    assert on_factory(url, FACTORY) is None


def scenario(tmp_path: Path, rules: list[dict[str, Any]], **service: Any) -> Any:
    data = {
        "name": "t",
        "time_scale": "auto",
        "chaos": {"type": "throttle", "at": "2m", "order_delay": "32s"},
        "service": {"url": "http://127.0.0.1:3000", **service},
        "alerting": {"rules": rules},
    }
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps(data))
    return load_scenario(path)


PUSHED = [{"alert": "Failing", "expr": "sum(increase(pizza_creation_failures_total[1m])) >= 3"}]
SLOW = [{"alert": "Slow", "expr": "max_over_time(pizza_latency_milliseconds[2m]) > 5000"}]


def test_auto_scale_keeps_three_pushes_in_the_shortest_range(tmp_path: Path) -> None:
    s = scenario(tmp_path, PUSHED, metrics="push", telemetry_port=9464)
    assert s.time_scale == 20
    assert "limited by rule 'Failing'" in s._time_scale_note
    slower = auto_scale(s, 60, push_interval_s=5.0)
    assert (slower.scale, slower.rule) == (4, "Failing")


def test_a_threshold_on_a_service_measured_duration_limits_the_scale(tmp_path: Path) -> None:
    s = scenario(tmp_path, SLOW)  # scraped: 32 s / (2 x 5 s) = 3.2
    assert s.time_scale == 3
    assert any("pizza_latency_milliseconds" in lim.why for lim in limits(s))


def test_the_diners_own_series_do_not_limit_the_scale(tmp_path: Path) -> None:
    rules = [{"alert": "D", "expr": 'sum(increase(diner_orders_total{outcome="failed"}[1m])) > 2'}]
    s = scenario(tmp_path, rules, metrics="push", telemetry_port=9464)
    assert s.time_scale == 60


def test_the_wall_load_says_what_the_compressed_diners_ask_of_the_service(tmp_path: Path) -> None:
    rules = [{"alert": "D", "expr": 'sum(increase(diner_orders_total{outcome="failed"}[1m])) > 2'}]
    s = scenario(tmp_path, rules, metrics="push", telemetry_port=9464)
    crowd = s.model_copy(update={"traffic": s.traffic.model_copy(update={"diners": 300})})
    crowd.traffic.think_time = (10.0, 30.0)
    line = wall_load(crowd)  # 300 / 20 s x 60: the orders of 18,000 diners in real time
    assert "300 diners thinking 10-30 s send about 900.0 orders/s" in line
    assert "what 18,000 diners send in real time" in line
    eager = crowd.model_copy(update={"traffic": crowd.traffic.model_copy()})
    eager.traffic.think_time = (0.0, 0.0)
    assert "without pauses" in wall_load(eager)


def test_an_explicit_scale_that_breaks_a_rule_is_refused_naming_it(tmp_path: Path) -> None:
    s = scenario(tmp_path, PUSHED, metrics="push", telemetry_port=9464)
    with pytest.raises(ConfigError) as caught:
        check_scale(s, 60)
    assert "rule 'Failing'" in caught.value.message and "20x" in caught.value.message
    check_scale(s, 20)


def test_a_cli_scale_that_breaks_a_rule_exits_2_at_load(tmp_path: Path) -> None:
    s = scenario(tmp_path, PUSHED, metrics="push", telemetry_port=9464)
    assert s.time_scale == 20
    from harness.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="largest scale that works is 20x"):
        load_scenario(tmp_path / "s.yaml", time_scale=60)


def test_a_missing_metric_is_named_with_what_the_service_does_send(tmp_path: Path) -> None:
    rules = [{"alert": "Failing", "expr": "sum(increase(pizza_factory_failures_total[1m])) > 2"}]
    s = scenario(tmp_path, rules)
    sent = {"pizza_creation_failures_total", "http_requests_total", "active_users_ratio"}
    (problem,) = missing(s, sent)
    assert problem.metric == "pizza_factory_failures_total"
    assert problem.suggestions[0] == "pizza_creation_failures_total"
    assert "did you mean `pizza_creation_failures_total`" in problem.detail
    assert missing(s, {"pizza_factory_failures_total"}) == []
    (nothing,) = missing(s, set())
    assert "sends no metrics at all" in nothing.detail


def test_an_ordinary_order_too_slow_for_the_scale_is_said(tmp_path: Path) -> None:
    s = scenario(tmp_path, PUSHED, metrics="push", telemetry_port=9464)  # 20x, slow_after 10 s
    (problem,) = too_slow_for_scale(s, 0.4)  # 8 s of scenario time
    assert "--time-scale 12" in problem.detail
    assert too_slow_for_scale(s, 0.1) == []


def test_the_diners_series_count_outcomes_and_latency_in_scenario_seconds() -> None:
    diners = DinerSeries()
    for outcome, latency in [("ok", 0.3), ("slow", 32.0), ("failed", 0.2), ("error", None)]:
        diners.observe(outcome, latency)
    samples = {(n, tuple(sorted(lab.items()))): v for n, lab, v in diners.samples()}
    assert samples[("diner_orders_total", (("job", "diners"), ("outcome", "error")))] == 1
    bucket = "diner_order_latency_seconds_bucket"
    assert samples[(bucket, (("job", "diners"), ("le", "0.5")))] == 2
    assert samples[(bucket, (("job", "diners"), ("le", "30.0")))] == 2
    assert samples[(bucket, (("job", "diners"), ("le", "60.0")))] == 3
    assert samples[(bucket, (("job", "diners"), ("le", "+Inf")))] == 3
    assert samples[("diner_order_latency_seconds_count", (("job", "diners"),))] == 3


def test_pushed_samples_wait_for_the_clock_then_land_in_scenario_time(tmp_path: Path) -> None:
    pushed, tsdb = PushedSamples(), TSDB()
    timeline = Timeline(tmp_path / "t.jsonl", 60)
    for i in range(3):
        pushed.ingest("x_total", {"source": "s"}, float(i), 1000.0 + i)
    assert pushed.interval_s() == 1.0 and pushed.names == {"x_total"}
    assert pushed.drain(tsdb, timeline) == 0  # no scenario time yet: kept
    timeline.start_clock(1001.0)
    assert pushed.drain(tsdb, timeline) == 3
    ((_, points),) = tsdb.select_range([], 60.0, 1000)  # type: ignore[arg-type]
    assert [t for t, _ in points] == [-60_000, 0, 60_000]


def menu_client(menu: list[dict[str, Any]], admin_ok: bool = True) -> httpx.Client:
    items = list(menu)

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/order/menu" and request.method == "GET":
            return httpx.Response(200, json=items)
        if request.url.path == "/api/auth" and request.method == "PUT":
            return httpx.Response(200 if admin_ok else 404, json={"token": "t"} if admin_ok else {})
        if request.url.path == "/api/order/menu" and request.method == "PUT":
            items.append({"id": 7, **json.loads(request.content)})
            return httpx.Response(200, json=items)
        return httpx.Response(404)

    return httpx.Client(transport=httpx.MockTransport(handle), base_url="http://svc")


def test_an_empty_menu_says_so_and_how_to_add_an_item() -> None:
    with pytest.raises(PreflightError) as caught:
        menu_item(menu_client([]), "http://svc", None)
    assert "menu" in caught.value.message and "--service-admin" in (caught.value.fix or "")


def test_an_admin_adds_a_menu_item_and_the_canary_orders_it() -> None:
    item = menu_item(menu_client([]), "http://svc", "a@jwt.com:admin")
    assert item == {"menuId": 7, "description": "Veggie", "price": 0.0038}
    first = menu_item(menu_client([{"id": 3, "title": "Pepperoni", "price": 0.0042}]), "", None)
    assert first["menuId"] == 3


def test_only_a_factory_looking_failure_blames_factory_url() -> None:
    theirs = httpx.Response(500, json={"message": "No ID found"})
    assert "factory.url" not in (refused(theirs, "s", FACTORY, "key0").fix or "")
    ours = httpx.Response(500, json={"message": "Failed to fulfill order at factory"})
    assert "factory.url" in (refused(ours, "s", FACTORY, "key0").fix or "")


def test_no_service_counter_is_said_not_claimed(tmp_path: Path) -> None:
    stack = Stack(tmp_path, FACTORY, "http://svc", "k", "t")
    stack.traffic_summary.write_text(json.dumps({"attempts": 0, "outcomes": {}}))
    timeline = Timeline(tmp_path / "t.jsonl", 1)
    counted = account(stack, timeline, None, 1, 0, 'orders_total{route="/api/order"}')
    assert counted.consistent and "no service counter" in counted.detail
    assert "orders_total" in counted.detail
    assert account(stack, timeline, 1, 1).detail == "all orders counted"


def test_rules_from_a_team_file_replace_the_scenarios(tmp_path: Path) -> None:
    from harness.alerting.rulefile import rules_overrides

    path = tmp_path / "team-rules.yml"
    path.write_text(
        "groups:\n  - name: pizza\n    interval: 20s\n    rules:\n"
        "      - alert: TeamFailures\n        expr: sum(increase(pizza_purchases_total[1m])) > 2\n"
    )
    given = rules_overrides(path)
    assert given["alerting__evaluation_interval"] == 20
    s = tmp_path / "s.yaml"
    s.write_text((SCENARIOS / "seed-incident.yaml").read_text())
    scenario = load_scenario(s, overrides=given)
    assert [r["alert"] for r in scenario.alerting.rules] == ["TeamFailures"]
    assert scenario.alerting.evaluation_interval == 20
    path.write_text("groups:\n  - name: pizza\n    rules:\n      - alert: X\n        expr: sum(\n")
    with pytest.raises(ConfigError, match=r"team-rules\.yml"):
        rules_overrides(path)


def test_a_scrape_that_gets_404_is_said_not_dropped(respx_mock: Any) -> None:
    from harness.runner.warmup import scraped_names

    respx_mock.get("http://svc/metrics").respond(404, text="unknown endpoint")
    sent, (problem,) = scraped_names("http://svc")
    assert sent == set() and problem.problem == "scrape_failed" and "HTTP 404" in problem.detail


def test_a_localhost_report_url_is_followed_at_the_factory(tmp_path: Path) -> None:
    from harness.autoreport import AutoReporter

    reporter = AutoReporter("firing", FACTORY, 3, 1.0)
    events = reporter.saw_urls(["http://localhost:8091/api/support/x/report/y", "http://e.vil/z"])
    assert reporter.urls == [f"{FACTORY}/api/support/x/report/y"]
    assert [e.url for e in events] == ["http://e.vil/z"]  # type: ignore[attr-defined]


def test_a_counter_never_pushed_is_not_waited_for(tmp_path: Path) -> None:
    import time

    from harness.runner.inbox import Inbox

    timeline = Timeline(tmp_path / "t.jsonl", 60, t0=time.time())
    inbox = Inbox(TSDB(), timeline, "127.0.0.1", 0, 'http_requests_total{route="/api/order"}')
    inbox.url = "http://127.0.0.1:1"  # as if it had listened; nothing was pushed
    started = time.monotonic()
    assert inbox.pushed_orders(timeout_s=10) is None
    assert time.monotonic() - started < 1


def test_a_latency_fault_limits_the_scale_like_the_throttle(tmp_path: Path) -> None:
    data = {
        "name": "t",
        "time_scale": "auto",
        "chaos": [{"kind": "latency", "at": "2m", "settings": {"fixed_ms": 20000}}],
        "service": {"url": "http://127.0.0.1:3000"},
        "alerting": {"rules": SLOW},
    }
    path = tmp_path / "s.yaml"
    path.write_text(json.dumps(data))
    assert load_scenario(path).time_scale == 2  # 20 s / (2 x 5 s)


def test_an_order_counter_that_is_not_a_selector_is_refused_at_load(tmp_path: Path) -> None:
    from harness.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="not a series selector"):
        scenario(tmp_path, PUSHED, metrics="push", telemetry_port=9464, order_counter="sum(x)")

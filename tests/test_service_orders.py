"""The order flow: store the order, ask the factory, and answer (and count, and log) what the
factory did, for a healthy factory, each chaos type, timeouts, dead factories and bad answers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from service_support import FACTORY_ADMIN, FACTORY_KEY, ORDER, Wired, factory_config, wired

from harness.netutil import free_port

REPORT_FIELD = "followLinkToEndChaos"
FAILED = "Failed to fulfill order at factory"


@pytest.fixture
def pizza(tmp_path: Path) -> Iterator[Wired]:
    with wired(tmp_path) as w:
        yield w


def stored_orders(pizza: Wired, headers: dict[str, str]) -> list[dict]:
    orders: list[dict] = pizza.service.get("/api/order", headers=headers).json()["orders"]
    return orders


def test_healthy_factory_makes_the_pizzas(pizza: Wired) -> None:
    diner = pizza.register()
    answer = pizza.order(diner)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"order", "jwt"}  # no report field without chaos
    order = body["order"]
    assert {k: order[k] for k in ORDER} == ORDER
    assert order["id"] == stored_orders(pizza, diner)[0]["id"]
    verified = pizza.factory.post("/api/order/verify", json={"jwt": body["jwt"]})
    assert verified.status_code == 200
    payload = verified.json()["payload"]
    me = pizza.service.get("/api/user/me", headers=diner).json()
    assert payload["diner"] == {"id": me["id"], "name": "pizza diner", "email": "d@jwt.com"}
    assert payload["order"] == order  # the stored order, with its id and date
    assert pizza.metric("pizza_orders_total") == 1
    assert pizza.metric("pizzas_made_total") == 2
    assert pizza.metric("pizza_revenue_total") == pytest.approx(0.008)
    assert pizza.metric("pizza_factory_latency_seconds_count") == 1
    assert pizza.metric("pizza_factory_report_urls_total") == 0


def test_factory_failure_is_500_with_the_report_url_and_the_order_stays_stored(
    pizza: Wired,
) -> None:
    diner = pizza.register()
    assert pizza.order(diner).status_code == 200
    chaos = pizza.arm("fail")
    answer = pizza.order(diner)
    assert answer.status_code == 500
    report_url = f"http://factory.test/api/support/{FACTORY_KEY}/report/{chaos['fixCode']}"
    assert answer.json() == {"message": FAILED, REPORT_FIELD: report_url}
    assert len(stored_orders(pizza, diner)) == 2  # accepted, though not made
    assert pizza.metric("pizza_orders_total") == 2
    assert pizza.metric("pizzas_made_total") == 2  # only the first order's two pizzas
    assert pizza.metric("pizza_factory_failures_total", kind="http_5xx") == 1
    assert pizza.metric("pizza_factory_report_urls_total") == 1
    resolved = pizza.factory.get(urlsplit(report_url).path)
    assert resolved.json() == {"message": "Problem resolved. Pizza is back on the menu!"}
    assert pizza.order(diner).status_code == 200


def test_throttled_factory_is_slow_but_200_with_the_report_url(tmp_path: Path) -> None:
    with wired(tmp_path, factory=factory_config(order_delay_ms=300)) as pizza:
        diner = pizza.register()
        pizza.arm("throttle")
        started = time.monotonic()
        answer = pizza.order(diner)
        assert time.monotonic() - started >= 0.3
        assert answer.status_code == 200
        assert set(answer.json()) == {"order", "jwt", REPORT_FIELD}
        assert "/api/support/" in answer.json()[REPORT_FIELD]
        assert pizza.metric("pizzas_made_total") == 2
        assert pizza.metric("pizza_factory_latency_seconds_bucket", le="0.25") == 0
        assert pizza.metric("pizza_factory_latency_seconds_bucket", le="60.0") == 1


def test_a_compressed_run_reports_factory_latency_in_scenario_seconds(tmp_path: Path) -> None:
    with wired(tmp_path, factory=factory_config(order_delay_ms=100), time_scale=60.0) as pizza:
        diner = pizza.register()
        pizza.arm("throttle")
        assert pizza.order(diner).status_code == 200
        # 0.1 s waited is 6 s of scenario time: above the 5 s bucket, inside the 10 s one
        assert pizza.metric("pizza_factory_latency_seconds_bucket", le="5.0") == 0
        assert pizza.metric("pizza_factory_latency_seconds_bucket", le="10.0") == 1


def test_badjwt_chaos_is_200_with_a_dead_jwt_and_the_report_url(pizza: Wired) -> None:
    diner = pizza.register()
    pizza.arm("badjwt")
    answer = pizza.order(diner)
    assert answer.status_code == 200
    assert answer.json()["jwt"].startswith("dead")
    assert "/api/support/" in answer.json()[REPORT_FIELD]
    verified = pizza.factory.post("/api/order/verify", json={"jwt": answer.json()["jwt"]})
    assert verified.status_code == 403


@pytest.mark.parametrize("name", ["reportPizzaCreationErrorToPizzaFactoryUrl", "reportUrl"])
def test_the_report_field_name_is_configurable(tmp_path: Path, name: str) -> None:
    with wired(tmp_path, report_field=name) as pizza:
        diner = pizza.register()
        pizza.arm("fail")
        answer = pizza.order(diner)
        assert answer.status_code == 500
        assert set(answer.json()) == {"message", name}


def test_a_factory_slower_than_the_timeout_is_a_500_timeout(tmp_path: Path) -> None:
    with wired(
        tmp_path, factory=factory_config(order_delay_ms=5000), factory_timeout_s=0.2
    ) as pizza:
        diner = pizza.register()
        pizza.arm("throttle")
        started = time.monotonic()
        answer = pizza.order(diner)
        assert time.monotonic() - started < 3
        assert (answer.status_code, answer.json()) == (500, {"message": FAILED})
        assert pizza.metric("pizza_factory_failures_total", kind="timeout") == 1
        assert pizza.metric("pizza_orders_total") == 1 and pizza.metric("pizzas_made_total") == 0
        factory_line = next(line for line in pizza.log_lines() if line["type"] == "factory")
        assert factory_line["error"] == "timeout" and factory_line["status"] is None


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_an_unreachable_factory_is_a_500_connection_failure(tmp_path: Path, transport: str) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}"
    with wired(
        tmp_path, real_pool=True, factory_url=unreachable, factory_transport=transport
    ) as pizza:
        answer = pizza.order(pizza.register())
        assert (answer.status_code, answer.json()) == (500, {"message": FAILED})
        # httpx-aiohttp reports a refused connection as httpx.ConnectTimeout: not a timeout
        assert pizza.metric("pizza_factory_failures_total", kind="connection") == 1
        assert pizza.metric("pizza_factory_failures_total", kind="timeout") == 0


def answering(status: int, content: bytes, content_type: str) -> httpx.MockTransport:
    """A factory that answers every call with this status and body."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=content, headers={"content-type": content_type})

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    ("status", "content", "kind"),
    [
        (200, b"<html>pizza?</html>", "bad_response"),
        (502, b"<html>Bad Gateway</html>", "http_5xx"),
        (503, b'{"message":"Unable to satisfy pizza order. The oven is full."}', "http_5xx"),
        (429, b'{"message":"slow down"}', "http_4xx"),
    ],
)
def test_answers_that_are_not_pizzas_are_500_by_kind(
    tmp_path: Path, status: int, content: bytes, kind: str
) -> None:
    content_type = "application/json" if content.startswith(b"{") else "text/html"
    with wired(tmp_path, transport=answering(status, content, content_type)) as pizza:
        answer = pizza.order(pizza.register())
        assert (answer.status_code, answer.json()) == (500, {"message": FAILED})
        assert pizza.metric("pizza_factory_failures_total", kind=kind) == 1
        assert pizza.metric("pizzas_made_total") == 0


def test_a_wrong_factory_key_is_a_4xx_failure(tmp_path: Path) -> None:
    with wired(tmp_path, factory_key="not-the-vendor-key") as pizza:
        answer = pizza.order(pizza.register())
        assert (answer.status_code, answer.json()) == (500, {"message": FAILED})
        assert pizza.metric("pizza_factory_failures_total", kind="http_4xx") == 1
        factory_line = next(line for line in pizza.log_lines() if line["type"] == "factory")
        assert factory_line["answer"] == {"message": "invalid authentication"}
        assert factory_line["status"] == 401


def test_the_factory_is_sent_the_vendor_key_the_diner_and_the_stored_order(
    tmp_path: Path,
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"jwt": "a.b.c"})

    with wired(tmp_path, transport=httpx.MockTransport(handler)) as pizza:
        answer = pizza.order(pizza.register())
    assert answer.status_code == 200 and answer.json()["jwt"] == "a.b.c"
    (request,) = seen
    assert str(request.url) == "http://factory.test/api/order"
    assert request.headers["authorization"] == f"Bearer {FACTORY_KEY}"
    sent = httpx.Response(200, content=request.content).json()
    assert sent["diner"]["name"] == "pizza diner" and sent["diner"]["email"] == "d@jwt.com"
    assert sent["order"] == answer.json()["order"]
    assert set(sent["order"]) == {"id", "franchiseId", "storeId", "items"}


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"franchiseId": 1, "storeId": 1}, "order.items is not iterable"),
        ({**ORDER, "items": [{"menuId": 99, "description": "Air", "price": 0.1}]}, "No ID found"),
        ({**ORDER, "storeId": "SLC"}, "storeId must be an integer"),
        ({**ORDER, "items": [{"menuId": 1, "description": "Veggie"}]}, "item price"),
    ],
)
def test_an_order_the_real_service_crashes_on_is_500_and_not_stored(
    pizza: Wired, body: dict, text: str
) -> None:
    diner = pizza.register()
    answer = pizza.order(diner, body)
    assert answer.status_code == 500 and text in answer.json()["message"]
    assert stored_orders(pizza, diner) == []
    assert pizza.metric("pizza_orders_total") == 0


def test_metrics_label_requests_by_route_template(pizza: Wired) -> None:
    diner = pizza.register()
    pizza.order(diner)
    pizza.service.get("/api/order?page=3", headers=diner)
    pizza.service.get("/no/such/path")
    pizza.service.get("/api/order")
    series = {
        (method, route, status): pizza.metric(
            "http_requests_total", method=method, route=route, status=status
        )
        for method, route, status in [
            ("POST", "/api/auth", "200"),
            ("POST", "/api/order", "200"),
            ("GET", "/api/order", "200"),
            ("GET", "/api/order", "401"),
            ("GET", "unknown", "404"),
        ]
    }
    assert series == {
        ("POST", "/api/auth", "200"): 1,
        ("POST", "/api/order", "200"): 1,
        ("GET", "/api/order", "200"): 1,
        ("GET", "/api/order", "401"): 1,
        ("GET", "unknown", "404"): 1,
    }
    text = pizza.service.get("/metrics").text
    assert "/no/such/path" not in text and "page=3" not in text


def test_logs_are_json_lines_with_the_factory_answer_and_no_secrets(pizza: Wired) -> None:
    diner = pizza.register()
    chaos = pizza.arm("fail")
    pizza.order(diner)
    lines = pizza.log_lines()
    http = [line for line in lines if line["type"] == "http"]
    assert {"ts", "level", "method", "path", "route", "status", "duration_ms"} <= set(http[0])
    (factory_line,) = [line for line in lines if line["type"] == "factory"]
    assert factory_line["level"] == "error" and factory_line["error"] == "http_5xx"
    assert factory_line["status"] == 500 and isinstance(factory_line["orderId"], int)
    assert factory_line["answer"]["reportUrl"].endswith(chaos["fixCode"])
    raw = pizza.log_path.read_text()
    token = diner["authorization"].removeprefix("Bearer ")
    assert token not in raw and token.split(".")[2] not in raw and '"diner"' not in raw


def test_quiet_logs_keep_only_factory_calls(tmp_path: Path) -> None:
    with wired(tmp_path, quiet_logs=True) as pizza:
        pizza.order(pizza.register())
        pizza.service.get("/api/order/menu")
        assert [line["type"] for line in pizza.log_lines()] == ["factory"]


def test_the_control_plane_arms_chaos_on_the_same_factory_the_service_calls(
    pizza: Wired,
) -> None:
    """Guards the wiring the other tests rely on: one factory state behind both apps."""
    pizza.arm("fail")
    state = pizza.factory.get("/admin/state", headers=FACTORY_ADMIN).json()
    assert state["chaos"]["type"] == "fail"
    assert pizza.order(pizza.register()).status_code == 500

"""Contract of the mock factory's real API: every row of docs/factory-api.md."""

from __future__ import annotations

import time

import jwt
import pytest
from conftest import ORDER, VENDOR, VENDOR_KEY
from starlette.testclient import TestClient


def test_order_answers_a_signed_pizza_whose_header_holds_iat_exp_iss(factory: TestClient) -> None:
    answer = factory.post("/api/order", json=ORDER, headers=VENDOR)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    assert set(answer.json()) == {"jwt"}  # no reportUrl without throttle chaos
    token = answer.json()["jwt"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["iss"] == "cs329.click" and "typ" not in header
    assert abs(header["iat"] - time.time()) < 5
    assert header["exp"] == header["iat"] + 86_400
    jwks = factory.get("/.well-known/jwks.json").json()
    key = jwt.PyJWK(next(k for k in jwks["keys"] if k["kid"] == header["kid"]))
    payload = jwt.decode(token, key.key, algorithms=["RS256"])
    assert payload == {
        "vendor": {"id": "pizza-vendor", "name": "Pizza Vendor"},
        "diner": ORDER["diner"],
        "order": ORDER["order"],
    }


def test_jwks_publishes_one_rsa_key(factory: TestClient) -> None:
    keys = factory.get("/.well-known/jwks.json").json()["keys"]
    assert len(keys) == 1
    assert keys[0]["kty"] == "RSA" and keys[0]["e"] == "AQAB" and keys[0]["kid"]
    assert "d" not in keys[0]  # never the private half


@pytest.mark.parametrize(
    "authorization", [f"Bearer {VENDOR_KEY}", f"bearer {VENDOR_KEY}", f"BEARER {VENDOR_KEY}"]
)
def test_bearer_is_matched_in_any_case(factory: TestClient, authorization: str) -> None:
    answer = factory.post("/api/order", json=ORDER, headers={"authorization": authorization})
    assert answer.status_code == 200


@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer nope"}, {"authorization": ""}])
def test_order_with_missing_or_unknown_key_is_401(factory: TestClient, headers: dict) -> None:
    answer = factory.post("/api/order", json=ORDER, headers=headers)
    assert (answer.status_code, answer.json()) == (401, {"message": "invalid authentication"})


@pytest.mark.parametrize("body", [{}, {"diner": ORDER["diner"]}, {"order": ORDER["order"]}])
def test_order_missing_diner_or_order_is_400(factory: TestClient, body: dict) -> None:
    answer = factory.post("/api/order", json=body, headers=VENDOR)
    assert (answer.status_code, answer.json()) == (400, {"message": "Missing required parameters"})


@pytest.mark.parametrize("count", [0, 21])
def test_empty_or_oversized_order_waits_the_order_delay_then_503(
    factory: TestClient, count: int
) -> None:
    items = [{"menuId": 1, "description": "Veggie", "price": 0.05}] * count
    body = {**ORDER, "order": {**ORDER["order"], "items": items}}
    started = time.monotonic()
    answer = factory.post("/api/order", json=body, headers=VENDOR)
    assert time.monotonic() - started >= 0.05  # the fixture's 50 ms orderDelay
    assert answer.status_code == 503
    assert answer.json() == {"message": "Unable to satisfy pizza order. The oven is full."}


def test_twenty_items_is_still_a_pizza(factory: TestClient) -> None:
    items = [{"menuId": 1, "description": "Veggie", "price": 0.05}] * 20
    body = {**ORDER, "order": {**ORDER["order"], "items": items}}
    assert factory.post("/api/order", json=body, headers=VENDOR).status_code == 200


def test_order_without_items_answers_like_the_real_crash(factory: TestClient) -> None:
    body = {**ORDER, "order": {"storeId": 1}}
    answer = factory.post("/api/order", json=body, headers=VENDOR)
    assert answer.status_code == 500
    assert answer.json() == {"message": "Cannot read properties of undefined (reading 'length')"}


def test_verify_accepts_our_pizza_and_refuses_anything_else(factory: TestClient) -> None:
    token = factory.post("/api/order", json=ORDER, headers=VENDOR).json()["jwt"]
    valid = factory.post("/api/order/verify", json={"jwt": token})
    assert valid.status_code == 200
    assert valid.json()["message"] == "valid"
    assert valid.json()["payload"]["order"] == ORDER["order"]
    tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    for bad in ({"jwt": tampered}, {"jwt": "garbage"}, {}, {"jwt": 42}):
        answer = factory.post("/api/order/verify", json=bad)
        assert (answer.status_code, answer.json()) == (403, {"message": "invalid"})


def test_docs_list_the_endpoints_in_the_real_shape(factory: TestClient) -> None:
    docs = factory.get("/api/docs").json()
    assert docs["message"] == "welcome to JWT Pizza Factory" and docs["version"]
    paths = {(e["method"], e["path"]) for e in docs["endpoints"]}
    assert ("POST", "/api/order") in paths and ("GET", "/.well-known/jwks.json") in paths
    for endpoint in docs["endpoints"]:
        assert {"method", "path", "requiresAuth", "description", "example", "response"} <= set(
            endpoint
        )


def test_vendor_record_hides_the_fix_code(factory: TestClient) -> None:
    assert factory.get("/api/vendor").status_code == 401
    before = factory.get("/api/vendor", headers=VENDOR).json()
    assert (
        before["id"] == "pizza-vendor" and before["apiKey"] == VENDOR_KEY and "chaos" not in before
    )
    assert factory.put("/api/vendor/chaos/fail", headers=VENDOR).json() == {
        "message": "Chaos initiated"
    }
    chaos = factory.get("/api/vendor", headers=VENDOR).json()["chaos"]
    assert chaos["type"] == "fail" and "fixCode" not in chaos
    assert chaos["initiatedDate"].endswith("Z") and chaos["startDate"].endswith("Z")


def test_initiate_chaos_refuses_unknown_types_and_keys(factory: TestClient) -> None:
    answer = factory.put("/api/vendor/chaos/explode", headers=VENDOR)
    assert (answer.status_code, answer.json()) == (400, {"message": "Invalid chaos type"})
    answer = factory.put("/api/vendor/chaos/fail", headers={"authorization": "Bearer x"})
    assert (answer.status_code, answer.json()) == (401, {"message": "invalid authentication"})


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nope"), ("GET", "/api/order"), ("DELETE", "/api/vendor"), ("POST", "/api/x/y")],
)
def test_unknown_paths_and_methods_are_unknown_endpoints(
    factory: TestClient, method: str, path: str
) -> None:
    answer = factory.request(method, path)
    assert (answer.status_code, answer.json()) == (404, {"message": "unknown endpoint"})


def test_every_answer_has_the_permissive_cors_headers(factory: TestClient) -> None:
    for answer in (
        factory.get("/api/docs", headers={"origin": "https://pizza.example"}),
        factory.get("/nope"),
        factory.post("/api/order", json=ORDER),
    ):
        assert answer.headers["access-control-allow-methods"] == "GET, POST, PUT, DELETE"
        assert answer.headers["access-control-allow-headers"] == "Content-Type, Authorization"
        assert answer.headers["access-control-allow-credentials"] == "true"
    echoed = factory.get("/api/docs", headers={"origin": "https://pizza.example"})
    assert echoed.headers["access-control-allow-origin"] == "https://pizza.example"
    assert factory.get("/api/docs").headers["access-control-allow-origin"] == "*"

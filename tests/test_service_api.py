"""Contract of the reference service's diner API: every row of docs/pizza-service-api.md except the
order flow (see test_service_orders.py), answered like the real jwt-pizza-service."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from service_support import JWT_SECRET, ORDER, Wired, wired


@pytest.fixture
def pizza(tmp_path: Path) -> Iterator[Wired]:
    with wired(tmp_path) as w:
        yield w


def test_root_welcomes_with_a_version(pizza: Wired) -> None:
    answer = pizza.service.get("/")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    assert answer.json() == {"message": "welcome to JWT Pizza", "version": "reference-1.0"}


def test_docs_list_endpoints_and_the_factory_url(pizza: Wired) -> None:
    docs = pizza.service.get("/api/docs").json()
    assert docs["version"] == "reference-1.0"
    assert docs["config"] == {"factory": "http://factory.test", "db": ":memory:"}
    listed = {(e["method"], e["path"].split("?")[0]) for e in docs["endpoints"]}
    assert listed == {
        ("POST", "/api/auth"),
        ("PUT", "/api/auth"),
        ("DELETE", "/api/auth"),
        ("GET", "/api/user/me"),
        ("GET", "/api/order/menu"),
        ("GET", "/api/order"),
        ("POST", "/api/order"),
        ("GET", "/api/franchise"),
    }
    assert all({"description", "example", "response"} <= set(e) for e in docs["endpoints"])


def test_register_answers_the_diner_and_a_token_signed_with_the_secret(pizza: Wired) -> None:
    answer = pizza.service.post(
        "/api/auth", json={"name": "pizza diner", "email": "d@jwt.com", "password": "diner"}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"user", "token"}
    user = body["user"]
    assert user == {
        "id": user["id"],
        "name": "pizza diner",
        "email": "d@jwt.com",
        "roles": [{"role": "diner"}],
    }
    assert isinstance(user["id"], int) and user["id"] > 1  # 1 is the seeded admin
    claims = jwt.decode(body["token"], JWT_SECRET, algorithms=["HS256"])
    assert {k: claims[k] for k in user} == user and abs(claims["iat"] - time.time()) < 5


@pytest.mark.parametrize(
    "body",
    [
        {"email": "d@jwt.com", "password": "diner"},
        {"name": "d", "password": "diner"},
        {"name": "d", "email": "d@jwt.com"},
        {"name": "", "email": "d@jwt.com", "password": "diner"},
        {},
    ],
)
def test_register_without_a_field_is_400(pizza: Wired, body: dict) -> None:
    answer = pizza.service.post("/api/auth", json=body)
    assert answer.status_code == 400
    assert answer.json() == {"message": "name, email, and password are required"}


def test_login_answers_the_user_with_roles_and_a_new_token(pizza: Wired) -> None:
    answer = pizza.service.put("/api/auth", json={"email": "a@jwt.com", "password": "admin"})
    assert answer.status_code == 200
    assert answer.json()["user"] == {
        "id": 1,
        "name": "常用名字",
        "email": "a@jwt.com",
        "roles": [{"role": "admin"}],
    }
    me = pizza.service.get(
        "/api/user/me", headers={"authorization": f"Bearer {answer.json()['token']}"}
    )
    assert me.status_code == 200 and me.json()["email"] == "a@jwt.com"


def test_login_of_a_registered_diner(pizza: Wired) -> None:
    pizza.register(email="new@jwt.com")
    answer = pizza.service.put("/api/auth", json={"email": "new@jwt.com", "password": "diner"})
    assert answer.status_code == 200
    assert answer.json()["user"]["roles"] == [{"role": "diner"}]


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@jwt.com", "password": "wrong"},
        {"email": "nobody@jwt.com", "password": "admin"},
        {"email": "a@jwt.com"},
        {},
    ],
)
def test_login_with_unknown_user_or_wrong_password_is_404(pizza: Wired, body: dict) -> None:
    answer = pizza.service.put("/api/auth", json=body)
    assert (answer.status_code, answer.json()) == (404, {"message": "unknown user"})


def test_me_answers_the_token_claims(pizza: Wired) -> None:
    headers = pizza.register(name="Me Myself", email="me@jwt.com")
    me = pizza.service.get("/api/user/me", headers=headers).json()
    assert {k: me[k] for k in ("name", "email", "roles")} == {
        "name": "Me Myself",
        "email": "me@jwt.com",
        "roles": [{"role": "diner"}],
    }
    assert isinstance(me["id"], int) and isinstance(me["iat"], int)


def test_logout_ends_the_token(pizza: Wired) -> None:
    headers = pizza.register()
    answer = pizza.service.delete("/api/auth", headers=headers)
    assert (answer.status_code, answer.json()) == (200, {"message": "logout successful"})
    after = pizza.service.get("/api/user/me", headers=headers)
    assert (after.status_code, after.json()) == (401, {"message": "unauthorized"})


def test_a_token_signed_with_another_secret_is_refused(pizza: Wired) -> None:
    forged = jwt.encode({"id": 1, "roles": [{"role": "admin"}]}, "x" * 40, algorithm="HS256")
    answer = pizza.service.get("/api/user/me", headers={"authorization": f"Bearer {forged}"})
    assert answer.status_code == 401


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/api/auth"),
        ("GET", "/api/user/me"),
        ("GET", "/api/order"),
        ("POST", "/api/order"),
    ],
)
@pytest.mark.parametrize(
    "headers", [{}, {"authorization": "Bearer not-a-token"}, {"authorization": "Bearer"}]
)
def test_calls_needing_a_diner_are_401_without_a_valid_token(
    pizza: Wired, method: str, path: str, headers: dict
) -> None:
    answer = pizza.service.request(method, path, headers=headers, json=ORDER)
    assert (answer.status_code, answer.json()) == (401, {"message": "unauthorized"})


def test_menu_lists_the_seeded_pizzas(pizza: Wired) -> None:
    menu = pizza.service.get("/api/order/menu").json()
    assert [(p["title"], p["price"]) for p in menu] == [
        ("Veggie", 0.0038),
        ("Pepperoni", 0.0042),
        ("Margarita", 0.0042),
        ("Crusty", 0.0028),
        ("Charred Leopard", 0.0099),
    ]
    assert set(menu[0]) == {"id", "title", "image", "price", "description"}
    assert menu[0]["image"] == "pizza1.png" and menu[0]["description"] == "A garden of delight"


def test_order_history_pages_by_ten_and_holds_only_the_diners_orders(pizza: Wired) -> None:
    diner, other = pizza.register(), pizza.register(email="other@jwt.com")
    for _ in range(12):
        assert pizza.order(diner).status_code == 200
    pizza.order(other)
    first = pizza.service.get("/api/order", headers=diner).json()
    me = pizza.service.get("/api/user/me", headers=diner).json()
    assert first["dinerId"] == me["id"] and first["page"] == 1
    assert len(first["orders"]) == 10
    order = first["orders"][0]
    assert set(order) == {"id", "franchiseId", "storeId", "date", "items"}
    assert order["date"].endswith(".000Z") and (order["franchiseId"], order["storeId"]) == (1, 1)
    assert [{k: i[k] for k in ("menuId", "description", "price")} for i in order["items"]] == (
        ORDER["items"]
    )
    assert all(set(i) == {"id", "menuId", "description", "price"} for i in order["items"])
    second = pizza.service.get("/api/order?page=2", headers=diner).json()
    assert second["page"] == "2"  # echoed as Express received it
    assert len(second["orders"]) == 2
    assert not {o["id"] for o in first["orders"]} & {o["id"] for o in second["orders"]}


def test_franchises_list_with_stores(pizza: Wired) -> None:
    answer = pizza.service.get("/api/franchise?page=0&limit=10&name=*")
    assert answer.status_code == 200
    assert answer.json() == {
        "franchises": [{"id": 1, "name": "pizzaPocket", "stores": [{"id": 1, "name": "SLC"}]}],
        "more": False,
    }


def test_franchises_filter_by_name_and_page(pizza: Wired) -> None:
    conn = pizza.service.app.state.service.store.conn  # type: ignore[attr-defined]
    conn.executemany("INSERT INTO franchise (name) VALUES (?)", [("pizzaPalace",), ("burger",)])
    page0 = pizza.service.get("/api/franchise?page=0&limit=1&name=pizza*").json()
    assert [f["name"] for f in page0["franchises"]] == ["pizzaPocket"] and page0["more"] is True
    page1 = pizza.service.get("/api/franchise?page=1&limit=1&name=pizza*").json()
    assert [f["name"] for f in page1["franchises"]] == ["pizzaPalace"] and page1["more"] is False
    none = pizza.service.get("/api/franchise?name=sushi").json()
    assert none == {"franchises": [], "more": False}


def test_an_admin_sees_store_revenue(pizza: Wired) -> None:
    pizza.order(pizza.register())
    login = pizza.service.put("/api/auth", json={"email": "a@jwt.com", "password": "admin"})
    admin = {"authorization": f"Bearer {login.json()['token']}"}
    franchise = pizza.service.get("/api/franchise", headers=admin).json()["franchises"][0]
    assert franchise["admins"] == []
    assert franchise["stores"] == [{"id": 1, "name": "SLC", "totalRevenue": pytest.approx(0.008)}]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/nope"),
        ("GET", "/api/nope"),
        ("POST", "/"),
        ("GET", "/api/auth"),
        ("PATCH", "/api/order"),
        ("DELETE", "/api/order/menu"),
        ("POST", "/api/franchise"),
    ],
)
def test_unknown_paths_and_methods_are_unknown_endpoints(
    pizza: Wired, method: str, path: str
) -> None:
    answer = pizza.service.request(method, path)
    assert (answer.status_code, answer.json()) == (404, {"message": "unknown endpoint"})


def test_every_answer_carries_the_cors_headers(pizza: Wired) -> None:
    answer = pizza.service.get("/nope", headers={"origin": "https://pizza.example"})
    assert answer.headers["access-control-allow-origin"] == "https://pizza.example"
    assert answer.headers["access-control-allow-credentials"] == "true"
    assert pizza.service.get("/").headers["access-control-allow-origin"] == "*"


def test_a_body_that_is_not_json_is_400(pizza: Wired) -> None:
    answer = pizza.service.post(
        "/api/auth", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert answer.status_code == 400 and answer.json()["message"].startswith("invalid JSON")


def test_an_unexpected_error_is_500_with_its_message_and_no_stack(
    pizza: Wired, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = pizza.service.app.state.service.store  # type: ignore[attr-defined]

    def broken() -> None:
        raise RuntimeError("the oven caught fire")

    monkeypatch.setattr(store, "menu", broken)
    answer = pizza.service.get("/api/order/menu")
    assert (answer.status_code, answer.json()) == (500, {"message": "the oven caught fire"})
    errors = [line for line in pizza.log_lines() if line["type"] == "error"]
    assert errors and "the oven caught fire" in errors[-1]["error"]
    assert pizza.metric("http_requests_total", method="GET", route="/api/order/menu", status="500")


def test_passwords_are_stored_hashed_and_salted(pizza: Wired) -> None:
    pizza.register(email="one@jwt.com")
    pizza.register(email="two@jwt.com")
    conn = pizza.service.app.state.service.store.conn  # type: ignore[attr-defined]
    query = "SELECT password FROM user WHERE email IN ('one@jwt.com', 'two@jwt.com')"
    stored = [r[0] for r in conn.execute(query)]
    assert len(stored) == 2 and stored[0] != stored[1]  # same password, different salts
    assert all("diner" not in s and s.startswith("pbkdf2_sha256$") for s in stored)

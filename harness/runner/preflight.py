"""Before a run against a team's own service: one canary order must travel through their service
to OUR mock factory and come back with a pizza our factory signed. Otherwise nothing the run
measured would mean anything, so the run stops first with what to fix: the service not
answering, an empty menu (a fresh jwt-pizza-service has none), or a service wired to another
factory (blamed only when the answer looks like the factory's)."""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx

from harness.errors import ServerError
from harness.runner.stack import Stack
from harness.scenario import Scenario

MENU_ITEM = {"title": "Veggie", "description": "A garden of delight", "image": "pizza1.png"}
MENU_PRICE = 0.0038


class PreflightError(ServerError):
    """The team's service is not ready for a run: not answering, no menu, or another factory."""


CANARIES = 2  # the first order of a cold service is slow: its time says little


def canary(stack: Stack, scenario: Scenario) -> tuple[dict[str, Any], float]:
    """The canary orders of a run (CANARIES orders the service counts); returns the menu item
    ordered (for the run's probe orders) and the wall seconds the faster order took."""
    with httpx.Client(timeout=30) as client:
        item = menu_item(client, stack.service_url, scenario.service.admin)
    took = []
    for _ in range(CANARIES):
        started = time.monotonic()
        canary_order(stack.service_url, stack.factory_url, stack.vendor_key, item=item)
        took.append(time.monotonic() - started)
    return item, min(took)


def canary_order(
    service_url: str,
    factory_url: str,
    vendor_key: str,
    timeout_s: float = 30,
    item: dict[str, Any] | None = None,
) -> str:
    """Order `item` (else the menu's first) as a new canary diner and verify the pizza's JWT
    at our factory; returns the JWT. An empty menu is `canary`'s to fill (service.admin)."""
    with httpx.Client(timeout=timeout_s) as client:
        item = item or menu_item(client, service_url, None)
        token = register_diner(client, service_url, "canary")
        answer = _order(client, service_url, token, item)
        if answer.status_code != 200:
            raise refused(answer, service_url, factory_url, vendor_key)
        jwt = _field(answer, "jwt")
        verified = client.post(f"{factory_url}/api/order/verify", json={"jwt": jwt})
        if verified.status_code != 200:
            raise PreflightError(
                f"the canary order's pizza was not made by the harness's factory at {factory_url} "
                "(its JWT does not verify there): the service orders from another factory",
                fix=_point(factory_url, vendor_key),
            )
        return str(jwt)


def _point(factory_url: str, vendor_key: str) -> str:
    return (
        f"point the service's factory.url at {factory_url} and its factory.apiKey at the "
        f"vendor key the harness uses ({vendor_key[:4]}...; --vendor-key sets it)"
    )


def refused(
    answer: httpx.Response, service_url: str, factory_url: str, vendor_key: str
) -> PreflightError:
    """Why the canary order failed: the factory's fault only when the answer says factory."""
    said = f"HTTP {answer.status_code}: {answer.text[:200]}"
    if "factory" in answer.text.lower():
        return PreflightError(
            f"the canary order through {service_url} failed ({said}): the service did not "
            "get a pizza from the harness's factory",
            fix=_point(factory_url, vendor_key),
        )
    return PreflightError(
        f"the service at {service_url} refused the canary order ({said})",
        fix="see the service's log (service.log in the run folder when --service-cmd started "
        "it); a jwt-pizza-service needs its database up and a menu item",
    )


def menu_item(client: httpx.Client, service_url: str, admin: str | None) -> dict[str, Any]:
    """The first item of the service's menu, as an order item; adds one as `admin` if empty."""
    menu = _menu(client, service_url)
    if not menu and admin:
        menu = _add_item(client, service_url, admin)
    if not menu:
        raise PreflightError(
            f"the service's menu at {service_url}/api/order/menu is empty: every order would "
            "fail ('No ID found'), whatever the factory does",
            fix="add an item as an admin: --service-admin EMAIL:PASSWORD (a fresh "
            "jwt-pizza-service has a@jwt.com:admin), or PUT /api/order/menu yourself",
        )
    first = menu[0]
    return {"menuId": first["id"], "description": first.get("title", ""), "price": first["price"]}


def _menu(client: httpx.Client, service_url: str) -> list[dict[str, Any]]:
    try:
        answer = client.get(f"{service_url}/api/order/menu")
    except httpx.HTTPError as exc:
        raise PreflightError(
            f"the service at {service_url} does not answer ({exc!r})",
            fix="start it first (or give --service-cmd), and give its base URL with "
            "--service-url (or service.url)",
        ) from None
    menu = _json(answer)
    if answer.status_code != 200 or not isinstance(menu, list):
        raise PreflightError(
            f"GET {service_url}/api/order/menu answered HTTP {answer.status_code}: "
            f"{answer.text[:200]}",
            fix="the service must speak the JWT Pizza service API (GET /api/order/menu)",
        )
    return [item for item in menu if isinstance(item, dict) and "id" in item and "price" in item]


def _add_item(client: httpx.Client, service_url: str, admin: str) -> list[dict[str, Any]]:
    email, _, password = admin.partition(":")
    login = client.put(f"{service_url}/api/auth", json={"email": email, "password": password})
    token = _token(
        login,
        f"logging in as {email} at {service_url}/api/auth",
        fix="give an admin's EMAIL:PASSWORD with --service-admin (service.admin)",
    )
    headers = {"authorization": f"Bearer {token}"}
    item = {**MENU_ITEM, "price": MENU_PRICE}
    added = client.put(f"{service_url}/api/order/menu", json=item, headers=headers)
    if added.status_code != 200:
        raise PreflightError(
            f"adding a menu item as {email} answered HTTP {added.status_code}: {added.text[:200]}",
            fix=f"{email} must have the admin role",
        )
    return _menu(client, service_url)


def register_diner(client: httpx.Client, service_url: str, who: str) -> str:
    """Register a diner of the harness's own (`who`: canary, probe) with a fresh email (a
    team's service keeps its users); returns its token, or PreflightError saying what to fix."""
    diner = {
        "name": f"harness {who}",
        "email": f"{who}-{secrets.token_hex(4)}@harness.local",
        "password": secrets.token_hex(8),
    }
    try:
        answer = client.post(f"{service_url}/api/auth", json=diner)
    except httpx.HTTPError as exc:
        raise PreflightError(
            f"registering a {who} diner at {service_url}/api/auth got no answer ({exc!r})",
            fix="check the service's log",
        ) from None
    return _token(
        answer,
        f"registering a {who} diner at {service_url}/api/auth",
        fix="the service must speak the JWT Pizza service API (POST /api/auth registers)",
    )


def _token(answer: httpx.Response, doing: str, fix: str) -> str:
    token = _field(answer, "token") if answer.status_code == 200 else None
    if not token:
        raise PreflightError(
            f"{doing} answered HTTP {answer.status_code}: {answer.text[:200]}", fix=fix
        )
    return str(token)


def _order(
    client: httpx.Client, service_url: str, token: str, item: dict[str, Any]
) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"}
    pizza = {"franchiseId": 1, "storeId": 1, "items": [item]}
    try:
        return client.post(f"{service_url}/api/order", json=pizza, headers=headers)
    except httpx.HTTPError as exc:
        raise PreflightError(
            f"the canary order at {service_url}/api/order got no answer ({exc!r})",
            fix="check the service's log; it must answer orders within 30 s",
        ) from None


def _json(answer: httpx.Response) -> Any:
    try:
        return answer.json()
    except ValueError:
        return None


def _field(answer: httpx.Response, name: str) -> object:
    body = _json(answer)
    return body.get(name) if isinstance(body, dict) else None

"""Before a run against a team's own service: one canary order must travel through their service
to OUR mock factory and come back with a pizza our factory signed. Otherwise nothing the run
measured would mean anything, so the run stops first with what to fix."""

from __future__ import annotations

import secrets

import httpx

from harness.errors import ServerError

CANARY_PIZZA = {
    "franchiseId": 1,
    "storeId": 1,
    "items": [{"menuId": 1, "description": "Veggie", "price": 0.0038}],
}


class PreflightError(ServerError):
    """The team's service is not wired to the harness's factory (or not answering)."""


def canary_order(service_url: str, factory_url: str, vendor_key: str, timeout_s: float = 30) -> str:
    """Register a canary diner, order one pizza, verify its JWT at our factory; returns the
    pizza's JWT, or raises PreflightError saying what to fix."""
    point = (
        f"point the service's factory.url at {factory_url} and its factory.apiKey at the "
        f"vendor key the harness uses ({vendor_key[:4]}...)"
    )
    with httpx.Client(timeout=timeout_s) as client:
        token = _register(client, service_url)
        answer = _order(client, service_url, token)
        if answer.status_code != 200:
            raise PreflightError(
                f"the canary order through {service_url} failed (HTTP {answer.status_code}: "
                f"{answer.text[:200]}): the service did not get a pizza from the harness's factory",
                fix=point,
            )
        jwt = _field(answer, "jwt")
        verified = client.post(f"{factory_url}/api/order/verify", json={"jwt": jwt})
        if verified.status_code != 200:
            raise PreflightError(
                f"the canary order's pizza was not made by the harness's factory at {factory_url} "
                "(its JWT does not verify there): the service orders from another factory",
                fix=point,
            )
        return str(jwt)


def _register(client: httpx.Client, service_url: str) -> str:
    diner = {
        "name": "harness canary",
        "email": f"canary-{secrets.token_hex(4)}@harness.local",
        "password": secrets.token_hex(8),
    }
    try:
        answer = client.post(f"{service_url}/api/auth", json=diner)
    except httpx.HTTPError as exc:
        raise PreflightError(
            f"the service at {service_url} does not answer ({exc!r})",
            fix="start it first, and give its base URL with --service-url (or service.url)",
        ) from None
    token = _field(answer, "token") if answer.status_code == 200 else None
    if not token:
        raise PreflightError(
            f"registering a canary diner at {service_url}/api/auth answered HTTP "
            f"{answer.status_code}: {answer.text[:200]}",
            fix="the service must speak the JWT Pizza service API (POST /api/auth registers)",
        )
    return str(token)


def _order(client: httpx.Client, service_url: str, token: str) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"}
    try:
        return client.post(f"{service_url}/api/order", json=CANARY_PIZZA, headers=headers)
    except httpx.HTTPError as exc:
        raise PreflightError(
            f"the canary order at {service_url}/api/order got no answer ({exc!r})",
            fix="check the service's log; it must answer orders within 30 s",
        ) from None


def _field(answer: httpx.Response, name: str) -> object:
    try:
        body = answer.json()
    except ValueError:
        return None
    return body.get(name) if isinstance(body, dict) else None

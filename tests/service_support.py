"""Helpers for the service tests (this module holds no tests): a reference service wired to an
in-process mock factory, diners, orders, and readings of the service's /metrics and log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from harness.factory import ChaosStart, FactoryConfig
from harness.factory import create_app as create_factory_app
from harness.service import ServiceConfig, create_app

FACTORY_KEY = "fedcba9876543210fedcba9876543210"
FACTORY_ADMIN = {"authorization": "Bearer factory-admin-token"}
FACTORY_URL = "http://factory.test"
JWT_SECRET = "a-test-secret-that-is-long-enough-for-hs256"
ORDER: dict[str, Any] = {
    "franchiseId": 1,
    "storeId": 1,
    "items": [
        {"menuId": 1, "description": "Veggie", "price": 0.0038},
        {"menuId": 2, "description": "Pepperoni", "price": 0.0042},
    ],
}


def factory_config(**overrides: Any) -> FactoryConfig:
    settings: dict[str, Any] = {
        "vendor_key": FACTORY_KEY,
        "admin_token": "factory-admin-token",
        "chaos_start": ChaosStart("now"),
        "order_delay_ms": 50,
        "seed": 11,
    }
    return FactoryConfig(**{**settings, **overrides})


def service_config(tmp_path: Path, **overrides: Any) -> ServiceConfig:
    settings: dict[str, Any] = {
        "factory_url": FACTORY_URL,
        "factory_key": FACTORY_KEY,
        "jwt_secret": JWT_SECRET,
        "log_file": str(tmp_path / "service.jsonl"),
    }
    return ServiceConfig(**{**settings, **overrides})


@dataclass
class Wired:
    """The service under test and the factory it calls (the same state, seen by two apps)."""

    service: TestClient
    factory: TestClient
    log_path: Path

    def register(self, name: str = "pizza diner", email: str = "d@jwt.com") -> dict[str, str]:
        """A new diner's Authorization header."""
        answer = self.service.post(
            "/api/auth", json={"name": name, "email": email, "password": "diner"}
        )
        assert answer.status_code == 200, answer.text
        return {"authorization": f"Bearer {answer.json()['token']}"}

    def order(self, headers: dict[str, str], body: dict[str, Any] | None = None) -> httpx.Response:
        return self.service.post(
            "/api/order", json=ORDER if body is None else body, headers=headers
        )

    def arm(self, chaos_type: str) -> dict[str, Any]:
        answer = self.factory.put(
            "/admin/chaos", json={"type": chaos_type, "start": "now"}, headers=FACTORY_ADMIN
        )
        assert answer.status_code == 200, answer.text
        chaos: dict[str, Any] = answer.json()
        return chaos

    def metric(self, name: str, **labels: str) -> float:
        return metric(self.service, name, **labels)

    def log_lines(self) -> list[dict[str, Any]]:
        return read_log(self.log_path)


def metric(client: TestClient | httpx.Client, name: str, **labels: str) -> float:
    """The value of one sample on /metrics; 0.0 when the labelled series does not exist yet."""
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


def read_log(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@contextmanager
def wired(
    tmp_path: Path,
    factory: FactoryConfig | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    real_pool: bool = False,
    **service: Any,
) -> Iterator[Wired]:
    """A service whose factory is the mock factory app in-process, reached through
    httpx.ASGITransport (or `transport`, when given, or the service's own connection pool with
    `real_pool`); the factory's control plane is `factory`."""
    config = factory or factory_config()
    state = tmp_path / "factory-state"
    to_factory = transport or httpx.ASGITransport(app=create_factory_app(config, state))
    app = create_app(service_config(tmp_path, **service), None if real_pool else to_factory)
    with TestClient(app) as client, TestClient(create_factory_app(config, state)) as control:
        yield Wired(client, control, Path(service.get("log_file", tmp_path / "service.jsonl")))

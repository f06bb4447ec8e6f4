"""Shared fixtures: the factory in-process (unit tests) and on a real socket (contract tests);
and the fast tier's guard: `make test-fast` runs every test not marked `slow`, and a test there
that starts a process fails, saying to mark it."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from harness.factory import ChaosStart, FactoryConfig, create_app, keys, runtime
from harness.netutil import free_port
from harness.procs import ManagedProcess

VENDOR_KEY = "0123456789abcdef0123456789abcdef"
ADMIN_TOKEN = "admin-secret"
ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}
VENDOR = {"authorization": f"Bearer {VENDOR_KEY}"}
ORDER: dict[str, Any] = {
    "diner": {"id": 719, "name": "j", "email": "j@jwt.com"},
    "order": {
        "items": [{"menuId": 1, "description": "Veggie", "price": 0.0038}],
        "storeId": "5",
        "franchiseId": 4,
        "id": 278,
    },
}


FAST_TIER = os.environ.get("HARNESS_TEST_TIER") == "fast"


@pytest.fixture(autouse=True, scope="session")
def _in_process_only() -> Iterator[None]:
    """In the fast tier, starting a child process is a mistake of the test's tier, not of the code
    under test: the test belongs in the slow tier (`@pytest.mark.slow`). Session-wide, so a
    module's fixture that starts a process is caught too."""
    if not FAST_TIER:
        yield
        return
    # matplotlib builds its font cache once per machine by running fc-list: let it, before the guard
    import matplotlib.font_manager  # noqa: F401

    def refuse(self: subprocess.Popen[bytes], args: object, *_: object, **__: object) -> None:
        pytest.fail(f"this test starts a process ({args!r}): mark it @pytest.mark.slow")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(subprocess.Popen, "_execute_child", refuse)
        yield


@pytest.fixture(scope="session")
def factory_key_pem(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("factory-key") / "factory-key.pem"
    keys.load_or_create_key(path)
    return path.read_bytes()


@pytest.fixture(autouse=True)
def _one_factory_key(monkeypatch: pytest.MonkeyPatch, factory_key_pem: bytes) -> None:
    """Every in-process factory of the session signs with one RSA key: a 2048-bit key costs
    ~0.1 s to generate, and no test here depends on two factories having different keys."""

    def shared_key(path: Path) -> Any:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(factory_key_pem)
        return keys.load_or_create_key(path)

    monkeypatch.setattr(runtime, "load_or_create_key", shared_key)


def factory_config(**overrides: Any) -> FactoryConfig:
    settings: dict[str, Any] = {
        "vendor_key": VENDOR_KEY,
        "admin_token": ADMIN_TOKEN,
        "chaos_start": ChaosStart("now"),
        "order_delay_ms": 50,
        "seed": 7,
    }
    return FactoryConfig(**{**settings, **overrides})


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[TestClient]:
    """The factory app in-process (no socket), chaos starting `now`, 50 ms order delay."""
    with TestClient(create_app(factory_config(), tmp_path / "state")) as client:
        yield client


class LiveFactory:
    """A factory served by `harness serve factory` on a free loopback port."""

    def __init__(self, tmp: Path, workers: int = 1, **extra: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [
            "serve",
            "factory",
            "--port",
            str(self.port),
            "--vendor-key",
            VENDOR_KEY,
            "--admin-token",
            ADMIN_TOKEN,
            "--chaos-start",
            extra.get("chaos_start", "now"),
            "--order-delay-ms",
            extra.get("order_delay_ms", "50"),
            "--workers",
            str(workers),
        ]
        self.process = ManagedProcess.harness("factory", args, f"{self.url}/api/docs", tmp)

    def order(self, client: httpx.Client, **kw: Any) -> httpx.Response:
        return client.post(f"{self.url}/api/order", json=ORDER, headers=VENDOR, **kw)

    def admin(self, client: httpx.Client, method: str, path: str, **kw: Any) -> httpx.Response:
        return client.request(method, f"{self.url}/admin{path}", headers=ADMIN, **kw)


@pytest.fixture
def live_factory(tmp_path: Path) -> Iterator[LiveFactory]:
    live = LiveFactory(tmp_path)
    with live.process:
        yield live


@pytest.fixture
def live_factory_2workers(tmp_path: Path) -> Iterator[LiveFactory]:
    live = LiveFactory(tmp_path, workers=2)
    with live.process:
        yield live

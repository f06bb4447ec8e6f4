"""The mock factory and the reference service for a test: real `harness serve` processes on free
127.0.0.1 ports, each a context manager that stops its process on every exit path."""

from __future__ import annotations

import secrets
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

from harness.factory.config import new_vendor_key
from harness.factory.control import ChaosControl
from harness.netutil import free_port
from harness.procs import ManagedProcess
from harness.testing.options import PizzaOptions

PIZZA = {
    "franchiseId": 1,
    "storeId": 1,
    "items": [{"menuId": 1, "description": "Veggie", "price": 0.0038}],
}


class _Server:
    """A started ManagedProcess and an httpx client; `with` stops both."""

    process: ManagedProcess
    client: httpx.Client

    def stop(self) -> None:
        try:
            self.client.close()
        finally:
            self.process.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class PizzaFactory(_Server):
    """`harness serve factory` in `work_dir`: `url`, `vendor_key`, and `.chaos` over /admin."""

    def __init__(self, work_dir: Path, options: PizzaOptions | None = None) -> None:
        options = options or PizzaOptions()
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.vendor_key = new_vendor_key()
        self.admin_token = secrets.token_hex(16)
        self.work_dir = work_dir
        args = ["serve", "factory", "--port", str(port), "--vendor-key", self.vendor_key]
        args += ["--admin-token", self.admin_token, "--chaos-start", "now"]
        args += ["--order-delay-ms", str(options.order_delay_ms)]
        args += ["--state-dir", str(work_dir / "factory-state")]
        if options.factory_seed is not None:
            args += ["--seed", str(options.factory_seed)]
        self.process = ManagedProcess.harness("factory", args, f"{self.url}/api/docs", work_dir)
        self.client = httpx.Client(timeout=10)
        self.chaos = ChaosControl(self.url, self.admin_token, self.client)
        try:
            self.process.start()
        except BaseException:
            self.client.close()
            raise

    @property
    def log_path(self) -> Path:
        return self.process.log_path

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/.well-known/jwks.json"

    def __repr__(self) -> str:
        return f"<PizzaFactory {self.url}>"


class PizzaService(_Server):
    """`harness serve service` calling `factory`; `register_diner()` and `order(token)`."""

    def __init__(
        self, work_dir: Path, factory: PizzaFactory, options: PizzaOptions | None = None
    ) -> None:
        options = options or PizzaOptions()
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.factory = factory
        self.report_field = options.report_field
        self.log_path = work_dir / "service.jsonl"
        args = ["serve", "service", "--port", str(port), "--factory-url", factory.url]
        args += ["--factory-key", factory.vendor_key, "--db", str(work_dir / "service.db")]
        args += ["--log-file", str(self.log_path), "--report-field", options.report_field]
        if options.factory_timeout is not None:
            args += ["--factory-timeout", str(options.factory_timeout)]
        self.process = ManagedProcess.harness("service", args, f"{self.url}/", work_dir)
        self.client = httpx.Client(base_url=self.url, timeout=30)
        try:
            self.process.start()
        except BaseException:
            self.client.close()
            raise

    def register_diner(self, name: str = "Test Diner", password: str = "pizza") -> str:
        """A new diner (unique email); returns its token for `order`."""
        diner = {"name": name, "email": f"diner-{secrets.token_hex(4)}@jwt.com"}
        answer = self.client.post("/api/auth", json={**diner, "password": password})
        answer.raise_for_status()
        token: str = answer.json()["token"]
        return token

    def order(self, token: str, order: dict[str, Any] | None = None) -> httpx.Response:
        """`POST /api/order` (one Veggie pizza by default); the answer as it came."""
        headers = {"authorization": f"Bearer {token}"}
        return self.client.post("/api/order", json=order or PIZZA, headers=headers)

    def report_url(self, answer: httpx.Response) -> str | None:
        """The factory's report URL relayed in a failed order's answer, if any."""
        url: str | None = answer.json().get(self.report_field)
        return url

    def __repr__(self) -> str:
        return f"<PizzaService {self.url} -> {self.factory.url}>"

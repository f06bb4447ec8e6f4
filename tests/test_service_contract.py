"""End to end over real sockets: `harness serve factory` and `harness serve service` as child
processes; a diner orders, the factory fails, the report URL ends the chaos, pizza flows again."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from service_support import FACTORY_ADMIN, FACTORY_KEY, ORDER, metric, read_log

from harness.netutil import free_port
from harness.procs import ManagedProcess, ProcessGroup

pytestmark = pytest.mark.slow  # real processes: not in `make test-fast`


def test_order_fail_report_and_recover_over_real_sockets(tmp_path: Path) -> None:
    factory_port, service_port = free_port(), free_port()
    factory, service = f"http://127.0.0.1:{factory_port}", f"http://127.0.0.1:{service_port}"
    log_file = tmp_path / "service.jsonl"
    factory_args = [
        "serve", "factory", "--port", str(factory_port), "--vendor-key", FACTORY_KEY,
        "--admin-token", "factory-admin-token", "--chaos-start", "now", "--order-delay-ms", "50",
    ]  # fmt: skip
    service_args = [
        "serve", "service", "--port", str(service_port), "--factory-url", factory,
        "--factory-key", FACTORY_KEY, "--db", str(tmp_path / "pizza.db"),
        "--log-file", str(log_file),
    ]  # fmt: skip
    with ProcessGroup() as group, httpx.Client(timeout=10) as client:
        group.start(
            ManagedProcess.harness("factory", factory_args, f"{factory}/api/docs", tmp_path)
        )
        group.start(ManagedProcess.harness("service", service_args, f"{service}/", tmp_path))
        diner = client.post(
            f"{service}/api/auth", json={"name": "d", "email": "d@jwt.com", "password": "d"}
        ).json()
        headers = {"authorization": f"Bearer {diner['token']}"}

        made = client.post(f"{service}/api/order", json=ORDER, headers=headers)
        assert made.status_code == 200 and set(made.json()) == {"order", "jwt"}
        verified = client.post(f"{factory}/api/order/verify", json={"jwt": made.json()["jwt"]})
        assert verified.status_code == 200
        assert verified.json()["payload"]["diner"]["id"] == diner["user"]["id"]

        armed = client.put(
            f"{factory}/admin/chaos", json={"type": "fail", "start": "now"}, headers=FACTORY_ADMIN
        )
        assert armed.status_code == 200
        failed = client.post(f"{service}/api/order", json=ORDER, headers=headers)
        assert failed.status_code == 500
        report_url = failed.json()["followLinkToEndChaos"]
        assert failed.json() == {
            "message": "Failed to fulfill order at factory",
            "followLinkToEndChaos": f"{factory}/api/support/{FACTORY_KEY}/report/"
            f"{armed.json()['fixCode']}",
        }

        resolved = client.get(report_url)
        assert resolved.json() == {"message": "Problem resolved. Pizza is back on the menu!"}
        again = client.post(f"{service}/api/order", json=ORDER, headers=headers)
        assert again.status_code == 200 and "followLinkToEndChaos" not in again.json()

        history = client.get(f"{service}/api/order", headers=headers).json()
        assert len(history["orders"]) == 3  # the failed order was stored too
        scrape = httpx.Client(base_url=service, timeout=10)
        assert metric(scrape, "pizza_orders_total") == 3
        assert metric(scrape, "pizzas_made_total") == 4  # two orders of two pizzas
        assert metric(scrape, "pizza_factory_failures_total", kind="http_5xx") == 1
        scrape.close()
    factory_calls = [line for line in read_log(log_file) if line["type"] == "factory"]
    assert [line["status"] for line in factory_calls] == [200, 500, 200]
    assert factory_calls[1]["answer"]["reportUrl"] == report_url

"""The canary order before a run against a team's service: it passes when the service orders
from the harness's factory, and says what to fix when it does not (wrong key, another factory,
no service)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import VENDOR_KEY, LiveFactory

from harness.netutil import free_port
from harness.procs import ManagedProcess
from harness.runner.preflight import PreflightError, canary_order

pytestmark = pytest.mark.slow  # real processes: not in `make test-fast`


def service(tmp: Path, factory_url: str, key: str = VENDOR_KEY) -> tuple[ManagedProcess, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = ["serve", "service", "--port", str(port), "--factory-url", factory_url]
    args += ["--factory-key", key, "--log-file", str(tmp / "service.jsonl")]
    return ManagedProcess.harness(f"service-{port}", args, f"{url}/", tmp), url


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[LiveFactory]:
    live = LiveFactory(tmp_path / "ours", chaos_start="tomorrow", order_delay_ms="0")
    with live.process:
        yield live


def test_a_service_wired_to_our_factory_passes(factory: LiveFactory, tmp_path: Path) -> None:
    process, url = service(tmp_path, factory.url)
    with process:
        jwt = canary_order(url, factory.url, VENDOR_KEY)
    assert jwt.count(".") == 2


def test_a_wrong_vendor_key_says_to_fix_the_factory_config(
    factory: LiveFactory, tmp_path: Path
) -> None:
    process, url = service(tmp_path, factory.url, key="not-the-key")
    with process, pytest.raises(PreflightError) as caught:
        canary_order(url, factory.url, VENDOR_KEY)
    assert "did not get a pizza from the harness's factory" in caught.value.message
    assert f"factory.url at {factory.url}" in (caught.value.fix or "")


def test_a_service_on_another_factory_is_caught(factory: LiveFactory, tmp_path: Path) -> None:
    other = LiveFactory(tmp_path / "other", chaos_start="tomorrow", order_delay_ms="0")
    process, url = service(tmp_path, other.url)
    with other.process, process, pytest.raises(PreflightError) as caught:
        canary_order(url, factory.url, VENDOR_KEY)
    assert "orders from another factory" in caught.value.message


def test_no_service_says_to_start_it(factory: LiveFactory) -> None:
    with pytest.raises(PreflightError) as caught:
        canary_order(f"http://127.0.0.1:{free_port()}", factory.url, VENDOR_KEY, timeout_s=2)
    assert "does not answer" in caught.value.message and "--service-url" in (caught.value.fix or "")

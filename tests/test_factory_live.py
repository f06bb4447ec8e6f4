"""The factory on a real socket: connection-level faults, bad input, and the server's survival."""

from __future__ import annotations

import httpx
import pytest
from conftest import ORDER, VENDOR, LiveFactory

pytestmark = pytest.mark.slow  # real processes: not in `make test-fast`


def test_reset_drops_the_connection_without_an_answer(live_factory: LiveFactory) -> None:
    with httpx.Client(timeout=5) as client:
        live_factory.admin(client, "POST", "/faults", json={"kind": "reset"})
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError)):
            live_factory.order(client)
        live_factory.admin(client, "DELETE", "/faults")
        assert live_factory.order(client).status_code == 200


def test_hang_never_answers_until_the_client_gives_up(live_factory: LiveFactory) -> None:
    with httpx.Client(timeout=5) as client:
        live_factory.admin(client, "POST", "/faults", json={"kind": "hang"})
        with pytest.raises(httpx.ReadTimeout):
            live_factory.order(client, timeout=0.5)
        live_factory.admin(client, "DELETE", "/faults")
        assert live_factory.order(client).status_code == 200


def test_hang_gives_up_itself_after_max_s(live_factory: LiveFactory) -> None:
    with httpx.Client(timeout=5) as client:
        live_factory.admin(
            client, "POST", "/faults", json={"kind": "hang", "settings": {"max_s": 0.3}}
        )
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            live_factory.order(client)


@pytest.mark.parametrize(
    ("content", "headers", "status", "message"),
    [
        (b'{"diner": {', {"content-type": "application/json"}, 400, "invalid JSON body"),
        (
            b"diner=1&order=2",
            {"content-type": "application/x-www-form-urlencoded"},
            400,
            "Missing required parameters",
        ),
        (b"x" * 10_000_000, {"content-type": "application/json"}, 413, "request entity too large"),
        (b"\xff\xfe", {"content-type": "application/json"}, 400, "invalid JSON body"),
    ],
)
def test_bad_input_gets_a_clear_4xx_and_the_server_keeps_serving(
    live_factory: LiveFactory, content: bytes, headers: dict, status: int, message: str
) -> None:
    with httpx.Client(timeout=10) as client:
        answer = client.post(
            f"{live_factory.url}/api/order", content=content, headers={**VENDOR, **headers}
        )
        assert answer.status_code == status
        assert answer.json()["message"].startswith(message)
        assert live_factory.order(client).status_code == 200


def test_report_url_is_followable_on_the_mocks_own_host_and_port(live_factory: LiveFactory) -> None:
    with httpx.Client(timeout=5) as client:
        live_factory.admin(client, "PUT", "/chaos", json={"type": "fail"})
        report_url = live_factory.order(client).json()["reportUrl"]
        assert report_url.startswith(f"{live_factory.url}/api/support/")
        assert client.get(report_url).json() == {
            "message": "Problem resolved. Pizza is back on the menu!"
        }
        assert live_factory.order(client).status_code == 200


def test_admin_without_token_is_refused_on_the_wire(live_factory: LiveFactory) -> None:
    with httpx.Client(timeout=5) as client:
        answer = client.put(f"{live_factory.url}/admin/chaos", json={"type": "fail"})
        assert answer.status_code == 401
        assert (
            client.post(f"{live_factory.url}/api/order", json=ORDER, headers=VENDOR).status_code
            == 200
        )

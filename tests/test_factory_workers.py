"""One source of truth: with two worker processes every order sees chaos as it is right now."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from conftest import ADMIN, ORDER, VENDOR, LiveFactory
from httpx_aiohttp import AiohttpTransport

pytestmark = pytest.mark.slow  # real processes: not in `make test-fast`


def fresh_connection_statuses(live: LiveFactory, count: int) -> list[int]:
    """Orders each on a new connection, so both workers take some."""
    statuses = []
    for _ in range(count):
        with httpx.Client(timeout=5) as client:
            statuses.append(live.order(client).status_code)
    return statuses


def test_both_workers_serve(live_factory_2workers: LiveFactory) -> None:
    pids = set()
    for _ in range(40):
        with httpx.Client(timeout=5) as client:
            pids.add(live_factory_2workers.admin(client, "GET", "/state").json()["worker"])
    assert len(pids) == 2


def test_armed_and_resolved_chaos_reach_every_worker_at_once(
    live_factory_2workers: LiveFactory,
) -> None:
    live = live_factory_2workers
    with httpx.Client(timeout=5) as client:
        chaos = live.admin(client, "PUT", "/chaos", json={"type": "fail"}).json()
    assert set(fresh_connection_statuses(live, 30)) == {500}
    with httpx.Client(timeout=5) as client:
        assert client.get(chaos["reportUrl"]).json()["message"].startswith("Problem resolved")
    assert set(fresh_connection_statuses(live, 30)) == {200}


async def _order(client: httpx.AsyncClient, url: str) -> tuple[float, float, int]:
    sent = time.time()
    answer = await client.post(f"{url}/api/order", json=ORDER, headers=VENDOR)
    return sent, time.time(), answer.status_code


async def _storm(live: LiveFactory, total: int, resolve_after: int) -> list[tuple]:
    """`total` orders, 50 in flight; chaos is resolved once `resolve_after` have answered."""
    transport = AiohttpTransport(limits=httpx.Limits(max_connections=50))
    async with httpx.AsyncClient(transport=transport, timeout=30) as client:
        chaos = (
            await client.put(f"{live.url}/admin/chaos", json={"type": "fail"}, headers=ADMIN)
        ).json()
        results: list[tuple] = []
        gate = asyncio.Semaphore(50)

        async def one() -> None:
            async with gate:
                results.append(await _order(client, live.url))
                if len(results) == resolve_after:
                    await client.get(chaos["reportUrl"])

        await asyncio.gather(*(one() for _ in range(total)))
        return results


def test_500_concurrent_orders_each_see_the_state_of_their_moment(
    live_factory_2workers: LiveFactory,
) -> None:
    live = live_factory_2workers
    results = asyncio.run(_storm(live, total=500, resolve_after=250))
    with httpx.Client(timeout=5) as client:
        transitions = live.admin(client, "GET", "/transitions").json()
    resolved_at = next(t["epoch"] for t in transitions if t["event"] == "chaos_resolved")
    answered_before = [status for _, got, status in results if got < resolved_at]
    sent_after = [status for sent, _, status in results if sent > resolved_at]
    assert len(results) == 500
    assert len(answered_before) >= 200 and len(sent_after) >= 100
    assert set(answered_before) == {500}
    assert set(sent_after) == {200}

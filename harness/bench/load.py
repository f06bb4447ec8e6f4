"""The load generator: a fixed number of requests in flight against 127.0.0.1, bounded in time and
count, plus the CPU each process used during the counted window.

One aiohttp ClientSession (TCPConnector(limit=in_flight), keep-alive) on uvloop, one coroutine per
slot, pre-encoded bodies: the generator shares the 2 cores with the server it measures, so it must
be cheap, and it reports its own CPU so a reader can see what it took.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import uvloop

from harness.load.usage import machine_busy_s

CLK_TCK = os.sysconf("SC_CLK_TCK")
REQUEST_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Req:
    """One request a slot sends again and again."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None = None

    def __post_init__(self) -> None:
        if urlsplit(self.url).hostname != "127.0.0.1":
            raise ValueError(f"the bench only loads 127.0.0.1, not {self.url}")


def post_json(url: str, payload: object, token: str) -> Req:
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    return Req("POST", url, headers, json.dumps(payload).encode())


def has_jwt(status: int, body: bytes) -> bool:
    """A 200 whose JSON carries a `jwt` string: a pizza was made."""
    if status != 200:
        return False
    try:
        return isinstance(json.loads(body).get("jwt"), str)
    except (ValueError, AttributeError):
        return False


def is_200(status: int, body: bytes) -> bool:
    return status == 200 and bool(body)


@dataclass
class Sample:
    """One measured window: good answers per second, what went wrong, CPU as % of one core."""

    rate: float
    errors: Counter[str] = field(default_factory=Counter)
    cpu: dict[str, float] = field(default_factory=dict)


def session_cpu_s(sid: int) -> float:
    """User+system CPU seconds of every live process in session `sid` (a child and its workers)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        if int(fields[3]) == sid:
            total += int(fields[11]) + int(fields[12])
    return total / CLK_TCK


def cpu_now(sessions: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far: this process (`bench`: the load generator, or the signer), each
    server's session, and the whole machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    own = {"bench": usage.ru_utime + usage.ru_stime}
    return (
        own
        | {name: session_cpu_s(sid) for name, sid in sessions.items()}
        | {"machine": machine_busy_s()}
    )


def cpu_percent(before: dict[str, float], after: dict[str, float], span: float) -> dict[str, float]:
    """% of one core per process over `span` seconds; `others` is the rest of the machine's load
    (other people's work on the shared cores), which explains a slow round."""
    pct = {name: 100 * (after[name] - before[name]) / span for name in after}
    machine = pct.pop("machine")
    return pct | {"others": max(0.0, machine - sum(pct.values()))}


class Window:
    """Counts answers that finish between start+warmup and the end; stops new requests after."""

    def __init__(self, warmup_s: float, seconds: float, max_requests: int) -> None:
        now = time.monotonic()
        self.begin, self.end = now + warmup_s, now + warmup_s + seconds
        self.sent, self.max_requests = 0, max_requests
        self.good, self.errors = 0, Counter[str]()

    def more(self) -> bool:
        return time.monotonic() < self.end and self.sent < self.max_requests

    def record(self, good: bool, label: str) -> None:
        if self.begin <= time.monotonic() <= self.end:
            if good:
                self.good += 1
            else:
                self.errors[label] += 1


async def _slot(
    session: aiohttp.ClientSession, req: Req, ok: Callable[[int, bytes], bool], win: Window
) -> None:
    while win.more():
        win.sent += 1
        try:
            async with session.request(
                req.method, req.url, headers=req.headers, data=req.body
            ) as resp:
                body = await resp.read()
                win.record(ok(resp.status, body), f"HTTP {resp.status}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            win.record(False, type(exc).__name__)
            await asyncio.sleep(0.01)  # a refused connection must not spin


async def _drive(
    reqs: Sequence[Req],
    ok: Callable[[int, bytes], bool],
    win: Window,
    sessions: dict[str, int],
    in_flight: int,
) -> dict[str, float]:
    connector = aiohttp.TCPConnector(limit=in_flight)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        slots = [
            asyncio.create_task(_slot(session, reqs[i % len(reqs)], ok, win))
            for i in range(in_flight)
        ]
        try:
            await asyncio.sleep(max(0.0, win.begin - time.monotonic()))
            before = cpu_now(sessions)
            await asyncio.sleep(max(0.0, win.end - time.monotonic()))
            after = cpu_now(sessions)
            await asyncio.gather(*slots)  # drain: answers must not spill into the next row
        finally:  # Ctrl-C: stop every slot before the session closes under it
            for slot in slots:
                slot.cancel()
            await asyncio.gather(*slots, return_exceptions=True)
    return cpu_percent(before, after, win.end - win.begin)


def drive(
    reqs: Sequence[Req],
    ok: Callable[[int, bytes], bool],
    *,
    seconds: float,
    sessions: dict[str, int],
    in_flight: int = 64,
    warmup_s: float = 0.5,
) -> Sample:
    """Keep `in_flight` requests going for warmup + `seconds`; rate counts the window only.

    Bounded: no request starts after the window, none waits over REQUEST_TIMEOUT_S, and at most
    20,000 requests per second of window are sent.
    """
    win = Window(warmup_s, seconds, max_requests=int(20_000 * (seconds + warmup_s)) + in_flight)
    cpu = uvloop.run(_drive(reqs, ok, win, sessions, in_flight))
    return Sample(win.good / seconds, win.errors, cpu)

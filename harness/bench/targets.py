"""What the bench measures: the in-process signer, and the factory and service as child processes.

Every server is a `ManagedProcess` in the caller's `ProcessGroup` on 127.0.0.1, so it is stopped on
every exit path. Each target is a `Measure`: a name and a function of the window length in seconds.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from harness.bench.load import (
    Req,
    Sample,
    cpu_now,
    cpu_percent,
    drive,
    has_jwt,
    is_200,
    post_json,
)
from harness.bench.wrk import drive_wrk
from harness.errors import ServerError
from harness.factory.keys import PizzaSigner, load_or_create_key
from harness.netutil import free_port
from harness.procs import ManagedProcess, ProcessGroup

FACTORY_ORDER = {
    "diner": {"id": 1, "name": "d", "email": "d@jwt.com"},
    "order": {
        "items": [{"menuId": 1, "description": "Veggie", "price": 0.05}],
        "storeId": 1,
        "franchiseId": 1,
        "id": 1,
    },
}
# What the factory signs for FACTORY_ORDER (its vendor block added).
SIGNED_PAYLOAD = {"vendor": {"id": "pizza-vendor", "name": "Pizza Vendor"}, **FACTORY_ORDER}
DINER_ORDER = {
    "franchiseId": 1,
    "storeId": 1,
    "items": [{"menuId": 1, "description": "Veggie", "price": 0.0038}],
}


Ok = Callable[[int, bytes], bool]


@dataclass(frozen=True)
class Measure:
    id: str
    run: Callable[[float], Sample]


@dataclass(frozen=True)
class Server:
    url: str
    process: ManagedProcess
    key: str = ""  # the factory's vendor key

    @property
    def session(self) -> int:
        assert self.process.proc is not None
        return self.process.proc.pid  # started with start_new_session: pid == session id


def sign_measure(key_path: Path) -> Measure:
    """RS256 signs per second in this process, with the factory's own key: the ceiling."""
    signer = PizzaSigner(load_or_create_key(key_path))

    def run(seconds: float) -> Sample:
        count, before, start = 0, cpu_now({}), time.perf_counter()
        end = start + seconds
        while time.perf_counter() < end:
            signer.sign(SIGNED_PAYLOAD)
            count += 1
        span = time.perf_counter() - start
        return Sample(count / span, cpu=cpu_percent(before, cpu_now({}), span))

    return Measure("sign", run)


def start_factory(group: ProcessGroup, work: Path, logs: Path, workers: int) -> Server:
    port, key, state = free_port(), uuid.uuid4().hex, work / f"factory-{workers}w"
    args = ["serve", "factory", "--workers", str(workers), "--port", str(port)]
    args += ["--vendor-key", key, "--admin-token", secrets.token_hex(16), "--state-dir", str(state)]
    url = f"http://127.0.0.1:{port}"
    proc = ManagedProcess.harness(f"factory-{workers}w", args, f"{url}/api/docs", logs)
    _start(group, proc)
    return Server(url, proc, key)


def start_service(
    group: ProcessGroup, work: Path, logs: Path, factory: Server, transport: str
) -> Server:
    """One service process on an SQLite file (WAL), logging only its factory calls."""
    port, db = free_port(), work / f"service-{transport}.db"
    args = ["serve", "service", "--port", str(port), "--factory-url", factory.url, "--db", str(db)]
    args += ["--factory-key", factory.key, "--factory-transport", transport, "--quiet-logs"]
    url = f"http://127.0.0.1:{port}"
    proc = ManagedProcess.harness(f"service-{transport}", args, f"{url}/", logs)
    _start(group, proc)
    return Server(url, proc)


def _start(group: ProcessGroup, proc: ManagedProcess) -> None:
    try:
        group.start(proc)
    except ServerError as exc:
        raise ServerError(f"{exc.message}\n{proc.log_tail()}", fix=exc.fix) from None


def _one_request(id: str, req: Req, ok: Ok, factory: Server, generator: str) -> Measure:
    """A factory row: wrk when asked for, else the aiohttp generator."""
    sessions = {"factory": factory.session}
    if generator == "wrk":
        return Measure(id, lambda s: drive_wrk(req, seconds=s, sessions=sessions))
    return Measure(id, lambda s: drive([req], ok, seconds=s, sessions=sessions))


def factory_orders(factory: Server, id: str, generator: str) -> Measure:
    req = post_json(f"{factory.url}/api/order", FACTORY_ORDER, factory.key)
    return _one_request(id, req, has_jwt, factory, generator)


def factory_jwks(factory: Server, generator: str) -> Measure:
    req = Req("GET", f"{factory.url}/.well-known/jwks.json", {})
    return _one_request("jwks_1w", req, is_200, factory, generator)


def register_diners(service: Server, count: int) -> list[str]:
    """`count` new diners (not timed); their bearer tokens."""
    tokens = []
    with httpx.Client(base_url=service.url, timeout=10) as client:
        for i in range(count):
            body = {"name": f"bench {i}", "email": f"bench{i}-{uuid.uuid4().hex[:8]}@jwt.com"}
            answer = client.post("/api/auth", json={**body, "password": "bench"})
            answer.raise_for_status()
            tokens.append(answer.json()["token"])
    return tokens


def service_orders(service: Server, factory: Server, transport: str, diners: int) -> Measure:
    tokens = register_diners(service, diners)
    reqs = [post_json(f"{service.url}/api/order", DINER_ORDER, t) for t in tokens]
    sessions = {"service": service.session, "factory": factory.session}
    return Measure(
        f"service_{transport}",
        lambda s: drive(reqs, has_jwt, seconds=s, sessions=sessions),
    )

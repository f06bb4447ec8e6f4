"""The fuzz campaign (issue 12): hypothesis draws requests over every route of the factory, the
service, the run's inbox and the game day's API, served on real 127.0.0.1 sockets, and no answer
may be a 5xx other than the real APIs' documented ones (an order the service cannot fill: 500
with a JSON message). Afterwards every server still answers a normal request, and memory is
compared. Bounded: MAX_EXAMPLES examples of BATCH requests, and TIME_BUDGET_S wall seconds.

    .venv/bin/python -m pytest -q -s tests/test_fuzz.py    # prints the campaign's figures
"""

from __future__ import annotations

import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.routing import Route

from harness.alerting.tsdb import TSDB
from harness.autoreport import AutoReporter, follow_report_url
from harness.factory.admin import ADMIN_ROUTES
from harness.factory.api import ROUTES as FACTORY_ROUTES
from harness.gameday.control import Refused, control_app
from harness.netutil import free_port
from harness.procs import ManagedProcess, ProcessGroup
from harness.runner.inbox import Inbox
from harness.service.app import ROUTES as SERVICE_ROUTES
from harness.timeline import Timeline
from tests.push_support import serving

pytestmark = pytest.mark.slow  # real servers

MAX_EXAMPLES = 550
BATCH = 4  # routes each drawn payload is sent to: 2,200 requests in all
TIME_BUDGET_S = 50.0
VENDOR_KEY = "fuzz0123456789abcdef0123456789ab"
ADMIN_TOKEN = "fuzz-admin-token"
CONTROL_TOKEN = "fuzz-control-token"
# The real APIs' documented 5xx: the service answers an order it cannot fill (a bad item, the
# factory failing it) with 500 and a JSON message, as the real service does.
DOCUMENTED_5XX = {("service", "POST", "/api/order")}


class People:
    """The game day's people-facing actions, following report URLs as the game day does."""

    def __init__(self, factory_url: str) -> None:
        self.reporter = AutoReporter("off", factory_url, retries=0, backoff=1.0)

    def acknowledge(self, who: str) -> str:
        return f"acknowledged by {who}"

    async def resolve(self, who: str, url: str) -> dict[str, Any]:
        refused = self.reporter.refusal(url)
        if refused is not None:
            raise Refused(f"not followed: {refused.reason}")
        async with httpx.AsyncClient(timeout=5) as client:
            called = await follow_report_url(client, url, who)
        return {"message": called.message, "outcome": called.outcome, "status": called.status}

    def abort(self, who: str) -> str:
        return f"abort asked by {who}"


@dataclass
class Target:
    name: str
    url: str
    routes: list[tuple[str, str]]  # (method, path template)
    pid: int | None = None  # None: served in this process


@dataclass
class Campaign:
    targets: dict[str, Target]
    clients: dict[str, httpx.Client]
    auth: dict[str, str]
    statuses: Counter[int] = field(default_factory=Counter)  # 0: no answer
    undocumented: list[str] = field(default_factory=list)
    requests: int = 0
    routes_hit: set[tuple[str, str, str]] = field(default_factory=set)
    stop_at: float = 0.0


def _routes(routes: list[Any], prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for route in routes:
        for method in sorted(route.methods or {"GET"}):
            if method != "HEAD":
                out.append((method, prefix + route.path))
    return out


def rss_kb(pid: int | None) -> int:
    path = Path(f"/proc/{pid or 'self'}/status")
    line = next(x for x in path.read_text().splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1])


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Campaign]:
    tmp = tmp_path_factory.mktemp("fuzz")
    fport, sport = free_port(), free_port()
    factory_url, service_url = f"http://127.0.0.1:{fport}", f"http://127.0.0.1:{sport}"
    factory = ManagedProcess.harness(
        "factory",
        [
            *("serve", "factory", "--port", str(fport), "--vendor-key", VENDOR_KEY),
            *("--admin-token", ADMIN_TOKEN, "--order-delay-ms", "50", "--state-dir", str(tmp)),
        ],
        f"{factory_url}/api/docs",
        tmp,
    )
    service = ManagedProcess.harness(
        "service",
        [
            *("serve", "service", "--port", str(sport), "--factory-url", factory_url),
            *("--factory-key", VENDOR_KEY, "--log-file", str(tmp / "service.jsonl")),
        ],
        f"{service_url}/",
        tmp,
    )
    inbox = Inbox(TSDB(), Timeline(tmp / "timeline.jsonl", 60.0), "127.0.0.1", 0)
    control = control_app(People(factory_url), CONTROL_TOKEN)
    both = Starlette(routes=[*inbox.app.routes, *control.routes])
    with ProcessGroup() as group, serving(both) as inbox_url:
        group.start(factory)
        group.start(service)
        routes = [r for r in inbox.app.routes if isinstance(r, Route)]
        targets = {
            "factory": Target(
                "factory",
                factory_url,
                _routes(FACTORY_ROUTES) + _routes(ADMIN_ROUTES, "/admin"),
                factory.proc.pid if factory.proc else None,
            ),
            "service": Target(
                "service",
                service_url,
                _routes(SERVICE_ROUTES),
                service.proc.pid if service.proc else None,
            ),
            "inbox": Target("inbox", inbox_url, _routes(routes) + _routes(control.routes)),
        }
        clients = {name: httpx.Client(base_url=t.url, timeout=15) for name, t in targets.items()}
        diner = {"name": "fuzz", "email": "fuzz@jwt.com", "password": "fuzz"}
        token = clients["service"].post("/api/auth", json=diner).json()["token"]
        auth = {
            "admin": f"Bearer {ADMIN_TOKEN}",
            "vendor": f"Bearer {VENDOR_KEY}",
            "diner": f"Bearer {token}",
            "control": f"Bearer {CONTROL_TOKEN}",
        }
        try:
            yield Campaign(targets, clients, auth)
        finally:
            for client in clients.values():
                client.close()


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=16),
    st.sampled_from(["\ud800", "\r\n", "\x00", "²", "1" * 30, "http://127.0.0.1:1/report"]),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=6,
)
FIELDS = ["type", "start", "jwt", "items", "menuId", "price", "streams", "who", "url", "alerts"]
shaped = st.dictionaries(st.sampled_from(FIELDS), json_value, max_size=4)


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True, allow_nan=True).encode()


bodies = st.one_of(
    st.just(b""),
    json_value.map(_json_bytes),
    shaped.map(_json_bytes),
    st.integers(min_value=900, max_value=4_000).map(lambda n: b"[" * n + b"]" * n),
    st.integers(min_value=900, max_value=2_000).map(lambda n: b'{"a":' * n + b"0" + b"}" * n),
    st.binary(max_size=64),
    st.sampled_from(
        [b"[NaN]", b"[1e999]", b'{"a": 9223372036854775808}', b'{"a":"\\udfff"}', b"{", b"x y=1"]
    ),
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")),
)


@st.composite
def requests(draw: st.DrawFn, targets: dict[str, Target]) -> list[dict[str, Any]]:
    """One drawn payload (body, headers, query, path parameter) sent to BATCH drawn routes:
    hypothesis's cost is in drawing, so each payload is sent more than once."""
    routes = [(name, m, t) for name, target in targets.items() for m, t in target.routes]
    chosen = draw(st.lists(st.sampled_from(routes), min_size=BATCH, max_size=BATCH))
    param = quote(draw(st.text(min_size=1, max_size=12)), safe="")
    body = draw(bodies)
    headers = {"content-type": draw(st.sampled_from(["application/json", "text/plain", ""]))}
    encoding = draw(st.sampled_from(["", "", "gzip", "gzip-cut", "br"]))
    if encoding.startswith("gzip"):
        body = gzip.compress(body)[: -4 if encoding == "gzip-cut" else None]
        headers["content-encoding"] = "gzip"
    elif encoding:
        headers["content-encoding"] = encoding
    who = draw(st.sampled_from(["", "admin", "vendor", "diner", "control", "garbage"]))
    if who:
        headers["authorization"] = "Bearer x\u00e9" if who == "garbage" else who
    keys = st.sampled_from(["page", "limit", "name", "precision"])
    query = draw(st.dictionaries(keys, st.text(max_size=8), max_size=2))
    return [
        {
            "target": name,
            "method": method,
            "path": re.sub(r"\{[^}]*\}", param, template),
            "template": template,
            "body": body,
            "headers": headers,
            "query": query,
        }
        for name, method, template in chosen
    ]


def send(c: Campaign, r: dict[str, Any]) -> None:
    headers = dict(r["headers"])
    if headers.get("authorization") in c.auth:
        headers["authorization"] = c.auth[headers["authorization"]]
    headers = {k: v for k, v in headers.items() if v}
    where = f"{r['target']} {r['method']} {r['path'][:60]}"
    try:
        answer = c.clients[r["target"]].request(
            r["method"],
            r["path"],
            content=r["body"] if r["method"] not in ("GET", "HEAD") else None,
            headers={k: v.encode("utf-8") for k, v in headers.items()},
            params=r["query"],
        )
    except httpx.HTTPError as exc:  # no answer at all (a reset, a crash): a finding too
        c.requests += 1
        c.statuses[0] += 1
        c.undocumented.append(f"{where} -> no answer: {exc!r}")
        return
    c.requests += 1
    c.statuses[answer.status_code] += 1
    c.routes_hit.add((r["target"], r["method"], r["template"]))
    if answer.status_code < 500:
        return
    template = r["template"]
    documented = (r["target"], r["method"], template) in DOCUMENTED_5XX
    if not documented or "message" not in answer.text:
        c.undocumented.append(
            f"{where} -> {answer.status_code} "
            f"{answer.text[:160]!r} (body {r['body'][:60]!r}, headers {headers})"
        )


def test_the_fuzz_campaign_finds_no_undocumented_5xx(campaign: Campaign) -> None:
    c = campaign
    before = {name: rss_kb(t.pid) for name, t in c.targets.items()}
    started = time.monotonic()
    c.stop_at = started + TIME_BUDGET_S

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(requests(c.targets))
    def fuzz(batch: list[dict[str, Any]]) -> None:
        for request in batch:
            if time.monotonic() < c.stop_at:  # drawn all the same: hypothesis replays draws
                send(c, request)

    fuzz()
    elapsed = time.monotonic() - started
    after = {name: rss_kb(t.pid) for name, t in c.targets.items()}
    routes = sum(len(t.routes) for t in c.targets.values())
    print(
        f"\nfuzz campaign: {c.requests} requests over {routes} routes in {elapsed:.1f} s; "
        f"status counts {dict(sorted(c.statuses.items()))}; undocumented 5xx "
        f"{len(c.undocumented)}; RSS KiB before {before} after {after}"
    )
    assert not c.undocumented, "\n".join(c.undocumented[:20])
    assert c.requests >= 2_000
    assert len(c.routes_hit) == routes  # every route of every server
    # every server still answers normally: a real order, made by the factory and verified
    order = {
        "franchiseId": 1,
        "storeId": 1,
        "items": [{"menuId": 1, "description": "Veggie", "price": 0.0038}],
    }
    c.clients["factory"].request("POST", "/admin/reset", headers={"authorization": c.auth["admin"]})
    diner = {"name": "after", "email": "after@jwt.com", "password": "after"}
    token = c.clients["service"].post("/api/auth", json=diner).json()["token"]  # fuzz logged out
    made = c.clients["service"].post(
        "/api/order", json=order, headers={"authorization": f"Bearer {token}"}
    )
    assert made.status_code == 200, made.text
    verified = c.clients["factory"].post("/api/order/verify", json={"jwt": made.json()["jwt"]})
    assert verified.status_code == 200, verified.text
    pushed = c.clients["inbox"].post("/api/v1/push/influx/write", content=b"after value=1")
    assert pushed.status_code == 204

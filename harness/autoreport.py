"""The seed incident's action item: call the factory's report URL automatically.

Triggered when an alert fires (default), on the first failed order, or never (`off`). It finds
report URLs wherever they show up (the service's JSON logs, failed or suspicious order answers)
whatever the field is called; follows one only if its host is the configured factory's (anything
else is refused and recorded as a security event); retries with backoff; takes "No chaos
currently executing" as already resolved; then confirms recovery with a probe order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from harness.report_urls import find_report_urls, on_factory
from harness.timeline import Event, Recovered, ReportCalled, ReportRefused

__all__ = ["AutoReporter", "find_report_urls", "follow_report_url", "outcome_of", "probe_order"]


def outcome_of(status: int, body: Any) -> str:
    text = (
        str(body.get("message") or body.get("msg") or "").lower() if isinstance(body, dict) else ""
    )
    if status == 400 or "unresolved" in text:
        return "unresolved"
    if 200 <= status < 300 and "no chaos" in text:
        return "no_chaos"
    if 200 <= status < 300 and "resolved" in text:
        return "resolved"
    return "error"


MAX_URL_BYTES = 64 * 1024  # httpx refuses longer URLs (InvalidURL)
MAX_URL_SHOWN = 200  # a refused URL's text kept in the timeline


def url_problem(url: str) -> str | None:
    """Why httpx could not call `url` at all (None: it can): control characters, over-long
    text, an unparsable host. Checked before the host, so a refusal never becomes a crash."""
    if len(url.encode("utf-8", "surrogatepass")) > MAX_URL_BYTES:
        return f"longer than {MAX_URL_BYTES} bytes"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return "it contains control characters (CR, LF, NUL, ...)"
    try:
        urlsplit(url)
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as exc:
        return str(exc)
    return None


@dataclass
class AutoReporter:
    trigger: str  # firing | first_failure | off
    factory_url: str
    retries: int
    backoff: float  # scenario seconds
    who: str = "auto-reporter"
    triggered: bool = False
    resolved: bool = False
    recovered: bool = False
    urls: list[str] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)
    failures: int = 0
    next_try: float = 0.0

    def saw_urls(self, urls: list[str]) -> list[Event]:
        """Remember new URLs (moved onto the factory's address); refuse, once each, any that
        does not name the factory."""
        events: list[Event] = []
        for url in urls:
            if url in self.refused:
                continue
            refused = self.refusal(url)
            if refused is not None:
                self.refused.add(url)
                events.append(refused)
                continue
            ours = on_factory(url, self.factory_url)
            if ours is not None and ours not in self.urls:
                self.urls.append(ours)
        return events

    def refusal(self, url: str) -> ReportRefused | None:
        """The security event for a URL that does not name the factory (None: it may be
        followed, at the factory's own address: see report_urls.on_factory)."""
        broken = url_problem(url)
        if broken is not None:
            return ReportRefused(url=url[:MAX_URL_SHOWN], reason=f"not a URL to follow: {broken}")
        if on_factory(url, self.factory_url) is not None:
            return None
        allowed = urlsplit(self.factory_url).netloc
        return ReportRefused(url=url[:2000], reason=f"host is not the factory ({allowed})")

    def alert_fired(self) -> None:
        if self.trigger == "firing":
            self.triggered = True

    def order_failed(self) -> None:
        if self.trigger == "first_failure":
            self.triggered = True

    def wants_call(self, st: float) -> bool:
        return (
            self.triggered
            and not self.resolved
            and bool(self.urls)
            and self.failures <= self.retries
            and st >= self.next_try
        )

    async def call(self, client: httpx.AsyncClient, st: float) -> ReportCalled:
        """Follow the newest URL (the freshest fix code); back off on failure."""
        url = self.urls[-1]
        called = await follow_report_url(client, url, self.who)
        if called.outcome in ("resolved", "no_chaos"):
            self.resolved = True
        else:
            self.failures += 1
            self.next_try = st + self.backoff * 2 ** (self.failures - 1)
            if called.outcome == "unresolved" and len(self.urls) > 1:
                self.urls.pop()  # a stale fix code: try the one before it next
        return called


async def follow_report_url(client: httpx.AsyncClient, url: str, who: str) -> ReportCalled:
    """Call a report URL (already checked against the factory's host) and classify the answer;
    the auto-reporter and a game day's `harness resolve` both come through here."""
    try:
        answer = await client.get(url)
        body = answer.json() if answer.content else {}
        body = body if isinstance(body, dict) else {}  # a list or bare string: no message
        status, outcome = answer.status_code, outcome_of(answer.status_code, body)
        message = str(body.get("message") or body.get("msg") or answer.text[:200])
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        status, outcome, message = None, "error", f"{type(exc).__name__}: {exc}"
    return ReportCalled(url=url, who=who, status=status, message=message, outcome=outcome)


PROBE_ITEM = {"menuId": 1, "description": "Veggie", "price": 0.0038}  # the reference menu's


async def probe_order(
    client: httpx.AsyncClient,
    service_url: str,
    factory_url: str,
    token: str,
    item: dict[str, Any] | None = None,
) -> tuple[bool, Recovered | None]:
    """One real order of `item` (the canary's, from the service's menu) through the service
    whose pizza the factory verifies: (whether the service answered it, Recovered or None if
    pizza is not back yet)."""
    pizza = {"franchiseId": 1, "storeId": 1, "items": [item or PROBE_ITEM]}
    try:
        answer = await client.post(
            f"{service_url}/api/order", json=pizza, headers={"authorization": f"Bearer {token}"}
        )
    except httpx.HTTPError:
        return False, None
    try:
        jwt = answer.json().get("jwt") if answer.status_code == 200 else None
        verified = await client.post(f"{factory_url}/api/order/verify", json={"jwt": jwt})
    except (httpx.HTTPError, ValueError, AttributeError):
        return True, None
    ok = jwt is not None and verified.status_code == 200
    return True, (Recovered(how="probe order verified") if ok else None)

"""Classify one order attempt into exactly one outcome (see events.OUTCOMES), and find the
factory's report URL in the service's answer. Pure functions: no locust, no I/O.

`classify` never raises: whatever the answer looks like, it returns a Classification, so the
diner can always mark the request in Locust's stats and write its event line (locust-pitfalls 6).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from harness.report_urls import find_report_url
from harness.traffic.events import Outcome
from harness.traffic.pizza import PizzaCheck

DETAIL_CHARS = 200


@dataclass(frozen=True)
class Classification:
    outcome: Outcome
    detail: str
    report_url: str | None = None

    @property
    def success(self) -> bool:
        """Whether Locust should count the request as a success (a pizza was made)."""
        return self.outcome in ("ok", "slow")

    @property
    def failure(self) -> str:
        """What Locust groups its failures by: without the attempt's own figures (a 10,000-diner
        run had a row per timeout in locust_failures.csv, `no answer after 32.462 s`, ...)."""
        if self.outcome == "timed_out":
            return "no answer within the order timeout"
        return self.detail or self.outcome


def classify(
    *,
    status: int | None,
    body: bytes | None,
    error: BaseException | None,
    elapsed_s: float,
    slow_after_s: float,
    verify: Callable[[str], PizzaCheck],
    report_fields: Sequence[str] | None = None,
) -> Classification:
    """The outcome of one POST /api/order.

    `status` is the HTTP status (None or 0 when no answer came), `body` the answer's bytes,
    `error` the transport error if the client gave up (timeout, refused, reset, cut body).
    """
    try:
        return _classify(status, body, error, elapsed_s, slow_after_s, verify, report_fields)
    except Exception as exc:  # a bug here must not lose the attempt
        return Classification("error", short(f"could not classify the answer: {describe(exc)}"))


def _classify(
    status: int | None,
    body: bytes | None,
    error: BaseException | None,
    elapsed_s: float,
    slow_after_s: float,
    verify: Callable[[str], PizzaCheck],
    report_fields: Sequence[str] | None,
) -> Classification:
    if error is not None or not status:
        if error is not None and is_timeout(error):
            return Classification("timed_out", short(f"no answer after {elapsed_s:.3f} s"))
        what = describe(error) if error is not None else "no HTTP status"
        return Classification("error", short(f"no answer: {what}"))
    answer = _json(body)
    report_url = find_report_url(answer, report_fields) if answer is not None else None
    if not 200 <= status < 300:
        said = answer.get("message") if isinstance(answer, dict) else None
        text = said if isinstance(said, str) else _text(body)
        return Classification("failed", short(f"HTTP {status}: {text}"), report_url)
    if not isinstance(answer, dict):
        return Classification("error", short(f"HTTP {status} but the body is not a JSON object"))
    token = answer.get("jwt")
    if not isinstance(token, str) or not token:
        return Classification("bad_pizza", "the answer carries no pizza jwt", report_url)
    check = verify(token)
    if check.valid is None:
        why = short(f"could not verify the pizza: {check.reason}")
        return Classification("error", why, report_url)
    if not check.valid:
        return Classification("bad_pizza", short(check.reason), report_url)
    if elapsed_s > slow_after_s:
        return Classification("slow", short(f"pizza took {elapsed_s:.3f} s"), report_url)
    return Classification("ok", "", report_url)


def _json(body: bytes | None) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def _text(body: bytes | None) -> str:
    if not body:
        return "(empty body)"
    return body[:DETAIL_CHARS].decode("utf-8", "replace").strip() or "(blank body)"


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 3] + "..."


def describe(exc: BaseException) -> str:
    root = _root(exc)
    text = str(root)
    return f"{type(root).__name__}: {text}" if text else type(root).__name__


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        nested = getattr(current, "original", None)  # geventhttpclient's RetriesExceeded
        current = nested if isinstance(nested, BaseException) else current.__cause__


def _root(exc: BaseException) -> BaseException:
    *_, last = _chain(exc)
    return last


def is_timeout(exc: BaseException) -> bool:
    """A client-side timeout (socket timeout or gevent.Timeout), however it was wrapped."""
    return any(
        isinstance(e, TimeoutError) or type(e).__name__ in ("Timeout", "ConnectionTimeout")
        for e in _chain(exc)
    )

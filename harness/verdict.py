"""The gate: each expectation of a scenario checked from the timeline alone, and the exit code.

Every check is measured in scenario seconds from the factory's ground truth (the instant the
first order felt the chaos). A check whose expectation is not set is not run.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from harness.errors import ExitCode
from harness.scenario import Expect
from harness.timeline import (
    Accounting,
    Acknowledged,
    Alert,
    ChaosArmed,
    ChaosEnded,
    ChaosStarted,
    Check,
    Notified,
    Order,
    Recovered,
)

FAILED_OUTCOMES = ("failed", "bad_pizza", "timed_out", "error")


def first(events: Iterable[Any], kind: type, after: float | None = None, **match: Any) -> Any:
    """The first event of `kind` matching `match`; with `after`, at or after that scenario time."""
    return next(
        (
            e
            for e in events
            if isinstance(e, kind)
            and (after is None or getattr(e, "st", 0.0) >= after)
            and all(getattr(e, k) == v for k, v in match.items())
        ),
        None,
    )


def incident_end(events: Iterable[Any]) -> Any:
    """The ChaosEnded after which no armed fault acts any more: each one resolved by a report
    call or expired at the end of its `for` (the harness's own rollback is no fix)."""
    armed = {e.name for e in events if isinstance(e, ChaosArmed)}
    ended: set[str] = set()
    for event in events:
        if isinstance(event, ChaosEnded) and event.how != "cleared":
            ended.add(event.name)
            if armed <= ended:
                return event
    return None


def _within(
    name: str, start: Any, end: Any, limit: float | None, what: str, scale: float
) -> Check | None:
    if limit is None:
        return None
    if start is None:
        return Check(
            name=name,
            passed=False,
            measured=None,
            limit=limit,
            detail="the chaos never started, so nothing could be measured",
        )
    if end is None:
        return Check(name=name, passed=False, measured=None, limit=limit, detail=f"never {what}")
    took = end.st - start.st
    return Check(
        name=name,
        passed=took <= limit,
        measured=round(took, 3),
        limit=limit,
        detail=f"{what} {took:.1f} s after the chaos started "
        f"({took / scale:.2f} s wall; limit {limit:g} s)",
    )


def checks(events: list[Any], expect: Expect, time_scale: float = 1.0) -> list[Check]:
    """Every set expectation, measured in scenario seconds (wall seconds in the detail)."""
    start = first(events, ChaosStarted)
    ended = incident_end(events)
    since = None if start is None else start.st  # what happened before the chaos is no answer
    timed = [
        (
            "detect_within",
            first(events, Alert, since, state_to="firing"),
            expect.detect_within,
            "an alert fired",
        ),
        (
            "notify_within",
            first(events, Notified, since, status="firing"),
            expect.notify_within,
            "someone was notified",
        ),
        (
            "acknowledge_within",
            first(events, Acknowledged, since),
            expect.acknowledge_within,
            "acknowledged",
        ),
        # only a verified probe pizza (or the factory's word when probing is off) is recovery
        ("recover_within", first(events, Recovered, since), expect.recover_within, "recovered"),
    ]
    found = [_within(name, start, end, limit, what, time_scale) for name, end, limit, what in timed]
    found += [_failed_orders(events, expect.max_failed_orders), _false_alarm(events, start, expect)]
    found += [_resolves(events, ended, expect.alert_resolves_within)]
    return [c for c in found if c is not None]


def _failed_orders(events: list[Any], limit: int | None) -> Check | None:
    if limit is None:
        return None
    failed = sum(1 for e in events if isinstance(e, Order) and e.outcome in FAILED_OUTCOMES)
    return Check(
        name="max_failed_orders",
        passed=failed <= limit,
        measured=failed,
        limit=limit,
        detail=f"{failed} orders failed (limit {limit})",
    )


def _false_alarm(events: list[Any], start: Any, expect: Expect) -> Check | None:
    if not expect.no_alert_before_chaos:
        return None
    cutoff = start.st if start is not None else float("inf")
    early = [e for e in events if isinstance(e, Alert) and e.state_to == "firing" and e.st < cutoff]
    detail = (
        f"{early[0].alertname} fired at {early[0].st:.1f} s, before any chaos"
        if early
        else "no alert fired before the chaos started"
    )
    return Check(
        name="no_alert_before_chaos", passed=not early, measured=len(early), limit=0, detail=detail
    )


def _resolves(events: list[Any], ended: Any, limit: float | None) -> Check | None:
    if limit is None:
        return None
    resolved = (
        None
        if ended is None
        else next(
            (
                e
                for e in events
                if isinstance(e, Alert) and e.state_to == "resolved" and e.st >= ended.st
            ),
            None,
        )
    )
    if ended is None or resolved is None:
        what = "the faults never ended" if ended is None else "the alert never resolved"
        return Check(
            name="alert_resolves_within", passed=False, measured=None, limit=limit, detail=what
        )
    took = resolved.st - ended.st
    return Check(
        name="alert_resolves_within",
        passed=took <= limit,
        measured=round(took, 3),
        limit=limit,
        detail=f"alert resolved {took:.1f} s after the last fault ended",
    )


def exit_code(found: list[Check], events: list[Any], interrupted: bool) -> ExitCode:
    if interrupted:
        return ExitCode.INTERRUPTED
    accounting = first(events, Accounting)
    if accounting is None or not accounting.consistent:
        return ExitCode.HARNESS_ERROR
    return ExitCode.OK if all(c.passed for c in found) else ExitCode.EXPECTATION_FAILED

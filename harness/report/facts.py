"""The measured facts of one run, computed from its timeline events alone.

Everything the post-mortem says comes from here; its text and charts never look anywhere else,
so `harness report RUN_DIR` rebuilds the same figures from `timeline.jsonl`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from harness.numbers import percentile
from harness.results import MILESTONES, milestones, order_counts
from harness.timeline import (
    Acknowledged,
    Action,
    Alert,
    AlertRule,
    ChaosArmed,
    ChaosStarted,
    Check,
    LogLine,
    Notified,
    Order,
    Phase,
    Recovered,
    ReportCalled,
    ReportRefused,
    RunEnded,
    RunStarted,
    TelemetryProblem,
)
from harness.verdict import FAILED_OUTCOMES, first, incident_end


@dataclass
class Facts:
    """What a run measured; event fields are `None` when the run never got there."""

    scenario: str
    time_scale: float
    status: str
    exit_code: int | None
    reason: str
    started: Any
    chaos: Any
    chaos_type: str | None
    first_failure: Any
    last_failure: Any
    pending: Any
    firing: Any
    resolved: Any
    notified: Any
    acknowledged: Any
    reports: list[Any]
    refusals: list[Any]
    telemetry: list[Any]
    chaos_ended: Any
    recovered: Any
    orders: list[Any]
    outcomes: dict[str, int]
    failed: int
    diners_affected: int
    checks: list[Any]
    rules: list[Any] = field(default_factory=list)
    log_errors: list[Any] = field(default_factory=list)
    actions: list[Any] = field(default_factory=list)  # what people did (a game day)
    rows: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Any] = field(default_factory=list)  # every fault armed (ChaosArmed)
    slow: int = 0
    p95_s: float | None = None  # answered orders during the incident, scenario seconds

    @property
    def episode(self) -> bool:
        """A real chaos type was armed: there was a report URL to call."""
        return any(f.episode for f in self.faults) or (not self.faults and self.chaos is not None)

    def injected(self) -> str:
        """What the harness injected, in words: `slow-oven` (latency on 30 % ...); `fail`."""
        if not self.faults:
            return f"the factory's `{self.chaos_type}` chaos"
        return "; ".join(_fault_words(f) for f in self.faults)

    def impact_words(self) -> str:
        """`3 orders failed, 70 were slow (p95 5.2 s)`: failures and latency alike."""
        p95 = "" if self.p95_s is None else f" (p95 of answered orders {self.p95_s:.1f} s)"
        failed = f"{self.failed} orders failed" if self.failed else "no order failed"
        return f"{failed}, {self.slow} were slow{p95}"

    def since_chaos(self, event: Any) -> float | None:
        """Scenario seconds from the chaos start to `event`."""
        if event is None or self.chaos is None:
            return None
        return event.st - self.chaos.st

    def rule(self, alertname: str) -> Any:
        """The rule behind an alert, as the run recorded it (None in older timelines)."""
        return next((r for r in self.rules if r.alertname == alertname), None)

    def wall_between(self, a: Any, b: Any) -> float | None:
        return None if a is None or b is None else b.t - a.t


def gather(events: list[Any]) -> Facts:
    started, ended = first(events, RunStarted), first(events, RunEnded)
    chaos = first(events, ChaosStarted)
    armed = first(events, ChaosArmed)
    since = None if chaos is None else chaos.st
    orders = sorted((e for e in events if isinstance(e, Order)), key=lambda e: e.st)
    failed = [o for o in orders if o.outcome in FAILED_OUTCOMES]
    outcomes = order_counts(events)
    facts = Facts(
        scenario=started.scenario if started else "unknown",
        time_scale=started.time_scale if started else 1.0,
        status=ended.status if ended else "incomplete",
        exit_code=ended.exit_code if ended else None,
        reason=ended.reason if ended else "the timeline has no run_ended event",
        started=started,
        chaos=chaos,
        chaos_type=chaos.type if chaos else (armed.type if armed else None),
        first_failure=failed[0] if failed else None,
        last_failure=failed[-1] if failed else None,
        pending=first(events, Alert, since, state_to="pending"),
        firing=first(events, Alert, since, state_to="firing"),
        resolved=first(events, Alert, since, state_to="resolved"),
        notified=first(events, Notified, status="firing"),
        acknowledged=first(events, Acknowledged),
        reports=[e for e in events if isinstance(e, ReportCalled)],
        refusals=[e for e in events if isinstance(e, ReportRefused)],
        telemetry=[e for e in events if isinstance(e, TelemetryProblem)],
        chaos_ended=incident_end(events),
        recovered=first(events, Recovered),
        orders=orders,
        outcomes=outcomes,
        failed=sum(outcomes.get(o, 0) for o in FAILED_OUTCOMES),
        diners_affected=len({o.diner for o in failed}),
        checks=[e for e in events if isinstance(e, Check)],
        rules=[e for e in events if isinstance(e, AlertRule)],
        log_errors=[e for e in events if isinstance(e, LogLine)],
        actions=[e for e in events if isinstance(e, Action)],
    )
    facts.rows = timeline_rows(events, facts)
    facts.faults = [e for e in events if isinstance(e, ChaosArmed)]
    facts.slow = outcomes.get("slow", 0)
    facts.p95_s = incident_p95(facts)
    return facts


def _fault_words(armed: ChaosArmed) -> str:
    name = f"`{armed.name or armed.type}`"
    return name if armed.fault in ("", armed.type) else f"{name}: {armed.fault}"


ANSWERED = ("ok", "slow", "bad_pizza", "failed")


def latency(order: object, time_scale: float) -> float | None:
    """Scenario seconds from sending an order to its answer (None when the send was not timed)."""
    start, answered = getattr(order, "start", 0.0), getattr(order, "t", 0.0)
    if start <= 0 or answered < start:
        return None
    return (answered - start) * time_scale


def incident_p95(facts: Facts) -> float | None:
    """The p95 latency (scenario seconds) of the orders answered from the first fault felt to
    the confirmed recovery (or the end of the run)."""
    if facts.chaos is None:
        return None
    end = facts.recovered.st if facts.recovered is not None else float("inf")
    took = [
        latency(o, facts.time_scale)
        for o in facts.orders
        if o.outcome in ANSWERED and facts.chaos.st <= o.st <= end
    ]
    return percentile([t for t in took if t is not None], 95)


def clock(t: float) -> str:
    """Wall-clock time of day, UTC, to the millisecond."""
    return datetime.fromtimestamp(t, UTC).strftime("%H:%M:%S.%f")[:-3]


def timeline_rows(events: list[Any], facts: Facts) -> list[dict[str, Any]]:
    """The milestones plus every phase, person's action, report call and refusal, in
    scenario-time order."""
    t0 = facts.started.t if facts.started else None
    rows = []
    by_label = {label: kind for label, kind, _ in MILESTONES}
    for row in milestones(events):
        if not row["reached"]:
            continue
        kind = by_label.get(row["milestone"])
        if kind is ReportCalled:
            continue  # every call is listed below, with its answer
        event = _event_for(row, events, facts)
        rows.append({**row, "clock": clock(event.t) if event else ""})

    def add(event: Any, label: str) -> None:
        rows.append(
            {
                "milestone": label,
                "reached": True,
                "scenario_s": round(event.st, 3),
                "since_chaos_s": None
                if facts.chaos is None
                else round(event.st - facts.chaos.st, 3),
                "wall_s": round(event.t - (t0 if t0 is not None else event.t), 3),
                "clock": clock(event.t),
            }
        )

    for event in events:
        if isinstance(event, Phase):
            add(event, f"phase: {event.name}")
        elif isinstance(event, Action):
            add(event, f"{event.who}: {action_text(event)}")
        elif isinstance(event, ReportCalled):
            add(event, f"report URL called by {event.who}: {event.outcome} ({event.status})")
        elif isinstance(event, ReportRefused):
            add(event, f"report URL refused: {event.reason}")
        elif isinstance(event, RunEnded):
            add(event, f"run ended: {event.status} (exit {event.exit_code})")
    return sorted(rows, key=lambda r: r["scenario_s"])


def action_text(action: Action) -> str:
    """`harness resolve URL`, as the person typed it."""
    return f"`harness {action.action}{' ' + action.detail if action.detail else ''}`"


def _event_for(row: dict[str, Any], events: list[Any], facts: Facts) -> Any:
    if row["milestone"] == "first failed order":
        return facts.first_failure
    for label, kind, match in MILESTONES:
        if label == row["milestone"]:
            return first(events, kind, **match)
    return None

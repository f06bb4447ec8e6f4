"""What the webhook receivers hand the harness: typed signals (an alert fired or resolved, a
page went out, was acknowledged or resolved) and the sink that turns them into timeline events.

Times (`at`) are wall-clock epoch seconds, as `Timeline.add(event, at=...)` takes them: the
payload's own time where it has one (an alert's `startsAt`/`endsAt`, an OnCall event's time),
else the arrival time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, Protocol

from pydantic import BaseModel, Field

from harness.timeline import Acknowledged, Alert, Event, Notified, ReceiverRejected


class AlertSignal(BaseModel):
    """An alert instance changed state at its source (Prometheus, Grafana, OnCall, PagerDuty)."""

    kind: Literal["alert"] = "alert"
    source: str  # the receiver's name
    key: str  # the instance's identity across firing and resolved: fingerprint, dedup_key, ...
    alertname: str | None  # None when the payload names only the key (a PagerDuty resolve)
    labels: dict[str, str] = Field(default_factory=dict)
    state: Literal["firing", "resolved"]
    at: float


class PageSignal(BaseModel):
    """Someone was (or stopped being) paged: a notification, an acknowledgement, a resolution."""

    kind: Literal["page"] = "page"
    source: str
    action: Literal["notified", "acknowledged", "unacknowledged", "resolved"]
    who: str
    at: float
    group: str = ""  # the notification group / alert group / dedup key
    alerts: list[str] = Field(default_factory=list)
    reason: str = ""


Signal = AlertSignal | PageSignal


class ReceiverSink(Protocol):
    """Where the receiver routes deliver what they accepted and what they refused."""

    def signals(self, signals: Sequence[Signal]) -> None: ...

    def rejected(self, rejection: ReceiverRejected) -> None: ...


def page_events(signal: PageSignal) -> list[Event]:
    """A page signal as the timeline's events; an unacknowledgement has none (recorded nowhere
    but in the sink's signal list: the timeline has no "unacknowledged" event)."""
    if signal.action == "acknowledged":
        return [Acknowledged(who=signal.who)]
    if signal.action == "unacknowledged":
        return []
    status: Literal["firing", "resolved"] = "firing" if signal.action == "notified" else "resolved"
    return [
        Notified(
            group=signal.group,
            status=status,
            alerts=list(signal.alerts),
            who=signal.who,
            reason=signal.reason or f"{signal.source} webhook",
        )
    ]


def within_run(at: float, earliest: float, now: float, slack_s: float = 5.0) -> float:
    """A payload's own time when it falls within [earliest, now + slack]; else `now` (an alert
    whose startsAt is years old, or a sender's clock far ahead, is placed at its arrival)."""
    return at if earliest - slack_s <= at <= now + slack_s else now


class TimelineSink:
    """Turns signals into timeline events through `add(event, at)` (Timeline.add fits).

    An alert instance is written only when its state changes: Alertmanager and Grafana resend
    a firing alert on every group interval, and that is not a new firing. A PagerDuty resolve
    names only the dedup key, so the alert's name and labels are remembered from its trigger.
    """

    def __init__(self, add: Callable[[Event, float], object]) -> None:
        self.add = add
        self.received: list[Signal] = []
        self.refused: list[ReceiverRejected] = []
        self._state: dict[tuple[str, str], str] = {}
        self._names: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}

    def signals(self, signals: Sequence[Signal]) -> None:
        for signal in signals:
            self.received.append(signal)
            if isinstance(signal, AlertSignal):
                events = self.alert_events(signal)
            else:
                events = page_events(signal)
            for event in events:
                self.add(event, signal.at)

    def rejected(self, rejection: ReceiverRejected) -> None:
        self.refused.append(rejection)
        self.add(rejection, rejection.t)

    def alert_events(self, signal: AlertSignal) -> list[Event]:
        key = (signal.source, signal.key)
        before = self._state.get(key, "inactive")
        if before == signal.state:
            return []
        self._state[key] = signal.state
        if signal.alertname is not None:
            self._names[key] = (signal.alertname, dict(signal.labels))
        name, labels = self._names.get(key, (signal.key, dict(signal.labels)))
        fields = {"alertname": name, "labels": labels, "state_from": before}
        return [Alert.model_validate({**fields, "state_to": signal.state})]

"""Grafana OnCall / IRM: its outgoing webhooks ("Forward All" data: event, user, alert_group,
alert_payload, ...) at /hooks/oncall, and the "formatted webhook" integration shape
(alert_uid, title, state alerting|ok) at /hooks/oncall/formatted.

Outgoing webhook `event.type`: `alert group created` (the alert fired), `escalation` and
`personal notification` (someone was paged), `acknowledge`, `unacknowledge`, `resolve`,
`unresolve` (fires again); `status change` is read from the alert group's state; `silence` and
`unsilence` are accepted and change nothing.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from harness.receivers.registry import Payload, Receiver, Timestamp, register
from harness.receivers.signals import AlertSignal, PageSignal, Signal

EventType = Literal[
    "escalation",
    "personal notification",
    "alert group created",
    "acknowledge",
    "resolve",
    "silence",
    "unsilence",
    "unresolve",
    "unacknowledge",
    "status change",
]
BY_STATE = {"acknowledged": "acknowledge", "resolved": "resolve"}
PageAction = Literal["notified", "acknowledged", "unacknowledged", "resolved"]


class OnCallEvent(Payload):
    type: EventType
    time: Timestamp = None


class OnCallUser(Payload):
    id: str = ""
    username: str = ""
    email: str = ""

    def name(self) -> str:
        return self.username or self.email or self.id


class AlertGroup(Payload):
    id: str
    state: str = ""
    title: str = ""
    created_at: Timestamp = None
    acknowledged_at: Timestamp = None
    resolved_at: Timestamp = None


class OutgoingWebhook(Payload):
    event: OnCallEvent
    alert_group: AlertGroup
    user: OnCallUser | None = None
    alert_payload: dict[str, Any] | None = None
    notified_users: list[OnCallUser] = Field(default_factory=list)
    users_to_notify: list[OnCallUser] = Field(default_factory=list)
    users_to_be_notified: list[OnCallUser] = Field(default_factory=list)


def _labels(hook: OutgoingWebhook) -> dict[str, str]:
    labels = (hook.alert_payload or {}).get("labels")
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def _paged(hook: OutgoingWebhook) -> str:
    users = hook.notified_users or hook.users_to_notify or hook.users_to_be_notified
    names = [u.name() for u in users if u.name()]
    if names:
        return ", ".join(names)
    return hook.user.name() if hook.user and hook.user.name() else "oncall"


def parse_outgoing(hook: OutgoingWebhook, received: float) -> list[Signal]:
    group = hook.alert_group
    kind = BY_STATE.get(group.state, "") if hook.event.type == "status change" else hook.event.type
    at = hook.event.time or received
    labels = _labels(hook)
    name = labels.get("alertname") or group.title or group.id
    who = hook.user.name() if hook.user and hook.user.name() else "oncall"

    def alert(state: Literal["firing", "resolved"], when: float) -> AlertSignal:
        return AlertSignal(
            source="oncall", key=group.id, alertname=name, labels=labels, state=state, at=when
        )

    def page(action: PageAction, by: str) -> PageSignal:
        return PageSignal(
            source="oncall", action=action, who=by, at=at, group=group.id, alerts=[name]
        ).model_copy(update={"reason": kind})

    if kind in ("alert group created", "unresolve"):
        created = group.created_at if kind == "alert group created" else None
        return [alert("firing", created or at)]
    if kind in ("escalation", "personal notification"):
        return [page("notified", _paged(hook))]
    if kind in ("acknowledge", "unacknowledge"):
        return [page("acknowledged" if kind == "acknowledge" else "unacknowledged", who)]
    if kind == "resolve":
        return [alert("resolved", at), page("resolved", who if hook.user else "oncall (auto)")]
    return []  # silence, unsilence, a status change to a state that pages nobody


class FormattedWebhook(Payload):
    """OnCall's "Formatted webhook" integration: every field optional, `state: ok` resolves."""

    alert_uid: str = ""
    title: str = ""
    state: str = "alerting"
    message: str = ""
    image_url: str = ""
    link_to_upstream_details: str = ""

    @model_validator(mode="after")
    def _named(self) -> FormattedWebhook:
        if not (self.alert_uid or self.title):
            raise ValueError("alert_uid or title is required to tell alerts apart")
        if self.state.lower() not in ("alerting", "ok"):
            raise ValueError(f"state must be 'alerting' or 'ok', got {self.state!r}")
        return self


def parse_formatted(hook: FormattedWebhook, received: float) -> list[Signal]:
    state: Literal["firing", "resolved"] = "resolved" if hook.state.lower() == "ok" else "firing"
    key = hook.alert_uid or hook.title
    return [
        AlertSignal(
            source="oncall-formatted",
            key=key,
            alertname=hook.title or key,
            state=state,
            at=received,
        )
    ]


register(
    Receiver(
        name="oncall",
        paths=("/hooks/oncall",),
        model=OutgoingWebhook,
        parse=parse_outgoing,
        describe="Grafana OnCall / IRM outgoing webhook (Forward All)",
    )
)
register(
    Receiver(
        name="oncall-formatted",
        paths=("/hooks/oncall/formatted",),
        model=FormattedWebhook,
        parse=parse_formatted,
        describe="Grafana OnCall formatted-webhook integration payload",
    )
)

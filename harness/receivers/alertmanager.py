"""Prometheus Alertmanager's `webhook_config` receiver (payload version "4").

Each alert becomes an AlertSignal (firing at its `startsAt`, resolved at its `endsAt`; the
fingerprint keys the instance) and the notification itself a PageSignal to the receiver named
in the payload (`notified` for a firing group, `resolved` for an all-resolved one).
Alertmanager counts any 2xx as delivered; it retries anything else, so bad payloads get 400.
"""

from __future__ import annotations

import hashlib
from typing import Literal

from pydantic import Field

from harness.receivers.registry import Payload, Receiver, Timestamp, register
from harness.receivers.signals import AlertSignal, PageSignal, Signal

Status = Literal["firing", "resolved"]


class WebhookAlert(Payload):
    """One alert of `alerts[]` (template.Alert in Alertmanager's source)."""

    status: Status
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    startsAt: Timestamp = None
    endsAt: Timestamp = None
    generatorURL: str = ""
    fingerprint: str = ""


class GroupMessage(Payload):
    """What Alertmanager and Grafana share: template.Data plus groupKey and truncatedAlerts."""

    groupKey: str
    truncatedAlerts: int = 0
    status: Status
    receiver: str
    groupLabels: dict[str, str] = Field(default_factory=dict)
    commonLabels: dict[str, str] = Field(default_factory=dict)
    commonAnnotations: dict[str, str] = Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[WebhookAlert] = Field(min_length=1)


class AlertmanagerMessage(GroupMessage):
    version: Literal["4"]


def instance_key(alert: WebhookAlert) -> str:
    """The fingerprint, or (a payload without one) a hash of the sorted label set."""
    if alert.fingerprint:
        return alert.fingerprint
    text = ",".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def alert_signal(source: str, alert: WebhookAlert, received: float) -> AlertSignal:
    at = alert.startsAt if alert.status == "firing" else alert.endsAt
    return AlertSignal(
        source=source,
        key=instance_key(alert),
        alertname=alert.labels.get("alertname") or instance_key(alert),
        labels=alert.labels,
        state=alert.status,
        at=received if at is None else at,
    )


def group_signals(source: str, message: GroupMessage, received: float) -> list[Signal]:
    """Every alert's signal, then the notification (at arrival: that is when it was paged)."""
    signals: list[Signal] = [alert_signal(source, a, received) for a in message.alerts]
    names = sorted({a.labels.get("alertname", "") for a in message.alerts} - {""})
    reason = str(getattr(message, "notification_reason", "") or "")
    action: Literal["notified", "resolved"] = (
        "notified" if message.status == "firing" else "resolved"
    )
    page = PageSignal(
        source=source,
        action=action,
        who=message.receiver,
        at=received,
        group=message.groupKey,
        alerts=names,
        reason=reason or f"{source} webhook",
    )
    return [*signals, page]


def parse(message: AlertmanagerMessage, received: float) -> list[Signal]:
    return group_signals("alertmanager", message, received)


register(
    Receiver(
        name="alertmanager",
        paths=("/hooks/alertmanager",),
        model=AlertmanagerMessage,
        parse=parse,
        describe='Alertmanager webhook_config (version "4")',
    )
)

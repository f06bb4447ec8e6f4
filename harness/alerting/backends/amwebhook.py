"""Alertmanager webhook payloads (version 4) -> the alerts and the notification they carry.

The Prometheus backend's view of Alertmanager's JSON, read through the receivers' model
(harness/receivers/alertmanager.py), with the engine's own timestamps kept as they come.
Tolerant of extra keys (`notification_reason` only exists from Alertmanager 0.32).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from harness.receivers.alertmanager import AlertmanagerMessage
from harness.receivers.registry import PayloadError as ReceiverPayloadError
from harness.receivers.registry import validate

ZERO_TIME = "0001-01-01T00:00:00Z"  # Alertmanager's "no end yet"


class PayloadError(ValueError):
    """Not an Alertmanager webhook payload the harness can read."""


@dataclass(frozen=True)
class WebhookAlert:
    labels: dict[str, str]
    status: str  # firing | resolved
    starts_at: float  # epoch seconds: Prometheus's FiredAt
    ends_at: float | None  # epoch seconds: Prometheus's ResolvedAt; None while firing
    fingerprint: str

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")


@dataclass(frozen=True)
class WebhookPayload:
    group_key: str
    status: str  # firing if any alert in the group fires, else resolved
    alerts: tuple[WebhookAlert, ...]
    reason: str


def epoch(text: object) -> float | None:
    """RFC 3339 (Go's, nanoseconds allowed) -> epoch seconds; None for the zero time."""
    if not isinstance(text, str) or not text or text.startswith("0001-01-01"):
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError as exc:
        raise PayloadError(f"not an RFC 3339 time: {text!r}") from exc


def parse_payload(payload: Any) -> WebhookPayload:
    """Raises PayloadError for anything but a version-4 payload with well-formed alerts; the
    payload is read by the receivers' Alertmanager model (one reading of this JSON)."""
    try:
        message = validate(AlertmanagerMessage, payload)
    except ReceiverPayloadError as exc:
        raise PayloadError(exc.reason) from None
    alerts = []
    for a in message.alerts:
        if a.startsAt is None:
            raise PayloadError(f"an alert without startsAt: {a.labels}")
        ends = a.endsAt if a.status == "resolved" else None
        alerts.append(WebhookAlert(dict(a.labels), a.status, a.startsAt, ends, a.fingerprint))
    return WebhookPayload(
        group_key=message.groupKey,
        status=message.status,
        alerts=tuple(alerts),
        reason=str(getattr(message, "notification_reason", "") or ""),
    )

"""Alertmanager webhook payloads (version 4) -> the alerts and the notification they carry.

The one place that reads Alertmanager's JSON for the Prometheus backend. A full set of webhook
receivers (Alertmanager v4, Grafana, OnCall, PagerDuty) is being built in harness/receivers/;
when it lands, `parse_payload` is the function to swap for its Alertmanager parser.
Tolerant of extra and missing keys (`notification_reason` only exists from Alertmanager 0.32).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
    """Raises PayloadError for anything but a version-4 payload with well-formed alerts."""
    if not isinstance(payload, dict) or str(payload.get("version")) != "4":
        raise PayloadError("expected an Alertmanager webhook payload with version 4")
    alerts = []
    for raw in payload.get("alerts") or []:
        if not isinstance(raw, dict) or raw.get("status") not in ("firing", "resolved"):
            raise PayloadError(f"an alert without a firing/resolved status: {raw!r}")
        starts = epoch(raw.get("startsAt"))
        if starts is None:
            raise PayloadError(f"an alert without startsAt: {raw!r}")
        labels = {str(k): str(v) for k, v in (raw.get("labels") or {}).items()}
        ends = epoch(raw.get("endsAt")) if raw["status"] == "resolved" else None
        alerts.append(
            WebhookAlert(labels, raw["status"], starts, ends, str(raw.get("fingerprint")))
        )
    status = payload.get("status")
    if status not in ("firing", "resolved"):
        raise PayloadError(f"the payload's status is {status!r}, not firing or resolved")
    return WebhookPayload(
        group_key=str(payload.get("groupKey", "")),
        status=status,
        alerts=tuple(alerts),
        reason=str(payload.get("notification_reason") or ""),
    )

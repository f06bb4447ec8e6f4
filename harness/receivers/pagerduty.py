"""PagerDuty Events API v2 (`POST /v2/enqueue`): trigger, acknowledge, resolve.

Answered like PagerDuty: 202 `{"status": "success", "message": "Event processed",
"dedup_key": ...}` (a trigger without a dedup key gets a new one), or 400 `{"status": "invalid
event", "message": "Event object is invalid", "errors": [...]}`. As PagerDuty requires: a
32-character routing_key; `payload` with summary, source and severity (critical, error,
warning, info) on a trigger; a dedup_key on acknowledge and resolve.

A trigger is an alert firing (named by its summary) and a page; resolve is the alert resolving
and the incident closing; acknowledge is an acknowledgement by the sending client.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from pydantic import Field, model_validator
from starlette.responses import JSONResponse, Response

from harness.receivers.registry import Payload, PayloadError, Receiver, Timestamp, register
from harness.receivers.signals import AlertSignal, PageSignal, Signal

ROUTING_KEY_LENGTH = 32


class EventPayload(Payload):
    summary: str = Field(min_length=1, max_length=1024)
    source: str = Field(min_length=1)
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: Timestamp = None
    component: str = ""
    group: str = ""
    class_: str = Field("", alias="class")
    custom_details: Any = None


class PagerDutyEvent(Payload):
    routing_key: str
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str | None = Field(None, max_length=255)
    payload: EventPayload | None = None
    client: str = ""
    client_url: str = ""

    @model_validator(mode="after")
    def _as_pagerduty_requires(self) -> PagerDutyEvent:
        if len(self.routing_key) != ROUTING_KEY_LENGTH:
            raise ValueError(
                "Length of 'routing_key' is incorrect (should be 32 characters), "
                f"got {len(self.routing_key)}"
            )
        if self.event_action == "trigger" and self.payload is None:
            raise ValueError("'payload' is missing or blank (required for a trigger)")
        if self.event_action != "trigger" and not self.dedup_key:
            raise ValueError(f"'dedup_key' is missing or blank (required to {self.event_action})")
        return self


def parse(event: PagerDutyEvent, received: float) -> list[Signal]:
    key = event.dedup_key or uuid.uuid4().hex
    who = event.client or "pagerduty"
    page = {"source": "pagerduty", "at": received, "group": key, "who": who}
    if event.event_action == "acknowledge":
        return [PageSignal.model_validate({**page, "action": "acknowledged", "reason": "ack"})]
    if event.event_action == "resolve":
        return [
            AlertSignal(source="pagerduty", key=key, alertname=None, state="resolved", at=received),
            PageSignal.model_validate({**page, "action": "resolved", "reason": "resolve event"}),
        ]
    body = event.payload
    if body is None:  # the model already refuses this; kept for the type checker
        raise PayloadError("'payload' is missing or blank (required for a trigger)")
    labels = {"severity": body.severity, "source": body.source, "dedup_key": key}
    extra = {"component": body.component, "group": body.group, "class": body.class_}
    labels.update({k: v for k, v in extra.items() if v})
    fired = AlertSignal(
        source="pagerduty",
        key=key,
        alertname=body.summary,
        labels=labels,
        state="firing",
        at=body.timestamp or received,
    )
    notify = {"action": "notified", "alerts": [body.summary], "reason": "trigger event"}
    return [fired, PageSignal.model_validate({**page, **notify})]


def answer(signals: list[Signal]) -> Response:
    key = next((s.group for s in signals if isinstance(s, PageSignal)), "")
    body = {"status": "success", "message": "Event processed", "dedup_key": key}
    return JSONResponse(body, status_code=202)


def refuse(error: PayloadError) -> Response:
    body = {"status": "invalid event", "message": "Event object is invalid", "errors": error.errors}
    return JSONResponse(body, status_code=error.status)


register(
    Receiver(
        name="pagerduty",
        paths=("/hooks/pagerduty", "/v2/enqueue"),
        model=PagerDutyEvent,
        parse=parse,
        describe="PagerDuty Events API v2 (trigger, acknowledge, resolve)",
        answer=answer,
        refuse=refuse,
    )
)

"""Grafana Alerting's webhook contact point (payload version "1"); the Grafana IRM / OnCall
contact point posts the same shape.

It is Alertmanager's message plus `orgId`, `title`, `state` ("alerting" or "ok"), `message` and
per-alert `values`, `silenceURL`, `dashboardURL`, `panelURL`. The deprecated fields are read
only when present; the alerts' own `status` decides firing or resolved, as with Alertmanager.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from harness.receivers.alertmanager import GroupMessage, WebhookAlert, group_signals
from harness.receivers.registry import Receiver, register
from harness.receivers.signals import Signal


class GrafanaAlert(WebhookAlert):
    values: dict[str, Any] | None = None
    valueString: str = ""
    silenceURL: str = ""
    dashboardURL: str = ""
    panelURL: str = ""


class GrafanaMessage(GroupMessage):
    version: Literal["1"]
    orgId: int
    alerts: list[GrafanaAlert] = Field(min_length=1)  # type: ignore[assignment]
    title: str = ""
    state: str = ""  # "alerting" | "ok"; deprecated, so not required
    message: str = ""


def parse(message: GrafanaMessage, received: float) -> list[Signal]:
    return group_signals("grafana", message, received)


register(
    Receiver(
        name="grafana",
        paths=("/hooks/grafana",),
        model=GrafanaMessage,
        parse=parse,
        describe='Grafana webhook contact point (version "1"), also the IRM / OnCall one',
    )
)

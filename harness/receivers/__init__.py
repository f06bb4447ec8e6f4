"""Webhook receivers: alerting payloads from a team's own Alertmanager, Grafana, OnCall / IRM
or PagerDuty client turned into typed signals and timeline events (`alerting.backend:
external`).

    receiver_routes(sink)   Starlette routes, one per registered path (POST)
    TimelineSink(add)       signals -> Alert / Notified / Acknowledged events, refusals recorded
    RECEIVERS               name -> Receiver (paths, payload model, parse function)

Each payload kind is one module that registers itself on import: alertmanager, grafana,
oncall, pagerduty.
"""

from harness.receivers import alertmanager, grafana, oncall, pagerduty
from harness.receivers.registry import RECEIVERS, PayloadError, Receiver, decode, register
from harness.receivers.routes import receiver_routes
from harness.receivers.signals import (
    AlertSignal,
    PageSignal,
    ReceiverSink,
    Signal,
    TimelineSink,
    page_events,
)

__all__ = [
    "RECEIVERS",
    "AlertSignal",
    "PageSignal",
    "PayloadError",
    "Receiver",
    "ReceiverSink",
    "Signal",
    "TimelineSink",
    "alertmanager",
    "decode",
    "grafana",
    "oncall",
    "page_events",
    "pagerduty",
    "receiver_routes",
    "register",
]

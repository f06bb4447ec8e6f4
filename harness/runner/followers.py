"""The run loop's followers: each looks at one source on every tick (`poll`) and writes what
it finds to the run's state and timeline. Alerts (and the pager's schedule), the inbox (what a
team's service and alerting push), the factory's own record of its chaos, and the diners'
orders with the service's log lines."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

import httpx

from harness.autoreport import find_report_urls
from harness.runner.arm import FaultTally
from harness.runner.inbox import Inbox
from harness.runner.respond import Response
from harness.runner.stack import FactoryControl, Stack
from harness.runner.state import RunState
from harness.runner.tails import JsonLinesTail, error_line
from harness.runner.watch import AlertWatch
from harness.timeline import ChaosEnded, ChaosStarted, Event, Order
from harness.traffic.events import tail_events


class Follower(Protocol):
    async def poll(self, client: httpx.AsyncClient, st: float) -> None: ...


class AlertFollower:
    """The alerting backend's events (evaluated or received), handed to the response."""

    def __init__(self, watch: AlertWatch, state: RunState, response: Response, url: str) -> None:
        self.watch, self.state, self.response, self.service_url = watch, state, response, url

    async def poll(self, client: httpx.AsyncClient, st: float) -> None:
        ticked = await self.watch.tick(client, self.service_url, st, self.state.diners)
        for event_st, event in ticked:
            self.response.react(event, event_st)


class InboxFollower:
    """Webhooks from the team's alerting, and the metrics and log lines its service pushed."""

    def __init__(self, inbox: Inbox, state: RunState, response: Response) -> None:
        self.inbox, self.state, self.response = inbox, state, response

    async def poll(self, client: httpx.AsyncClient, st: float) -> None:
        self.follow()

    def follow(self) -> None:
        self.inbox.drain()
        for event, at in self.inbox.take_events():
            self.response.react(event, self.state.timeline.st(at))
        urls, errors = self.inbox.take_logs()
        self.response.saw_urls(urls)
        for line, at in errors:
            self.state.timeline.add(line, at=at)


class FactoryFollower:
    """The factory's own record: when each fault really started and ended."""

    def __init__(self, control: FactoryControl, state: RunState) -> None:
        self.control, self.state, self.seen = control, state, 0
        self.faults = FaultTally()

    async def poll(self, client: httpx.AsyncClient, st: float) -> None:
        try:
            transitions = await self.control.transitions_async(client)
        except httpx.HTTPError:
            return  # checked again on the next tick; a dead factory is caught by check_children
        for record in transitions[self.seen :]:
            self.seen += 1
            event = self.faults.event(record)
            if event is not None:
                self.state.timeline.add(event, at=record["epoch"])
                self.changed(event)

    def changed(self, event: Event) -> None:
        if isinstance(event, ChaosStarted) and self.state.started_st is None:
            self.state.started_st = event.st  # the first fault felt: the incident begins
            self.state.set_phase("active")
        elif isinstance(event, ChaosEnded) and self.faults.over():
            self.state.ended_st = event.st  # every fault resolved or expired


class OrdersFollower:
    """The diners' order answers (orders.jsonl) and the service's log file: outcomes, the
    diners' series, report URLs for the auto-reporter, error lines for the post-mortem."""

    def __init__(self, stack: Stack, state: RunState, response: Response) -> None:
        self.stack, self.state, self.response = stack, state, response
        self.offset = 0  # bytes of the diners' events file already read
        self.service_log = JsonLinesTail(stack.service_log)

    async def poll(self, client: httpx.AsyncClient, st: float) -> None:
        self.follow()

    def follow(self) -> None:
        attempts, self.offset = tail_events(self.stack.traffic_events, self.offset)
        scale = self.state.scenario.time_scale
        for attempt in attempts:
            order = Order(
                diner=attempt.diner,
                outcome=attempt.outcome,
                status=attempt.status,
                start=attempt.start,
                report_url=attempt.report_url,
            )
            self.state.timeline.add(order, at=attempt.end)
            self.state.outcomes[order.outcome] += 1
            latency = (attempt.end - attempt.start) * scale if attempt.answered else None
            self.state.diners.observe(order.outcome, latency)
            if order.outcome != "ok":
                self.response.reporter.order_failed()
            self.response.saw_urls([order.report_url] if order.report_url else [])
        for line in self.service_log.read():
            if line.get("type") == "factory":
                self.response.saw_urls(find_report_urls(line.get("answer")))
            if line.get("level") == "error":
                self.state.timeline.add(error_line(line), at=_epoch(line.get("ts")))


def _epoch(ts: object) -> float | None:
    """The log line's own time (ISO 8601), or None (then: when it was read)."""
    try:
        return datetime.fromisoformat(str(ts)).timestamp()
    except ValueError:
        return None

"""What a team's own service and alerting push to a run, on one port the team configures:
OTLP / Influx metrics into the run's TSDB (the built-in rules then see them), Loki log lines
(searched for report URLs, error lines kept for the post-mortem), and alerting webhooks
(Alertmanager, Grafana, OnCall, PagerDuty) turned into timeline events for the run loop."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from starlette.applications import Starlette

from harness import jsontext
from harness.alerting.tsdb import TSDB, Matcher
from harness.errors import ServerError
from harness.ingest import LogLine as PushedLine
from harness.ingest import LogStore, ingest_routes, report_urls
from harness.receivers import TimelineSink, receiver_routes
from harness.receivers.signals import sane_time
from harness.runner.served import LoopServer
from harness.runner.tails import error_line
from harness.timeline import Event, LogLine, Timeline

ORDER_REQUESTS = [
    Matcher.make("__name__", "=", "http_requests_total"),
    Matcher.make("method", "=", "POST"),
    Matcher.make("route", "=", "/api/order"),
]


INBOX = "run's inbox for pushes and webhooks (--telemetry-port, service.telemetry_port)"


class Inbox:
    def __init__(self, tsdb: TSDB, timeline: Timeline, host: str, port: int) -> None:
        self.logs = LogStore()
        self.arrived: list[tuple[Event, float]] = []  # (event, wall time), for the run loop
        opened = time.time()

        def arrived(event: Event, at: float) -> None:
            earliest = timeline.t0 if timeline.t0 is not None else opened
            self.arrived.append((event, sane_time(at, earliest, time.time())))

        sink = TimelineSink(arrived)

        def scenario_time(_payload_time: float | None = None) -> float:
            return timeline.st(time.time())  # arrival: a team's clock may be off

        routes = ingest_routes(tsdb, self.logs, scenario_time, sink.rejected)
        self.app = Starlette(routes=[*routes, *receiver_routes(sink)])
        self.host, self.port, self.tsdb, self.timeline = host, port, tsdb, timeline
        self.server = LoopServer(self.app, INBOX, host, port)
        self.url = ""

    async def start(self) -> str:
        self.url = await self.server.start()
        self.port = int(self.url.rsplit(":", 1)[1])  # a restart takes the same port
        return self.url

    async def pushed_orders(self, timeout_s: float = 10.0) -> int | None:
        """`POST /api/order` requests the service counted, from its next push (the run loop has
        ended, so the inbox listens again until the push arrives); None if none comes."""
        if not self.url:
            return None  # the run ended before the inbox ever listened: nobody pushed to it
        self.server = LoopServer(self.app, INBOX, self.host, self.port)
        since = self.timeline.st(time.time())
        try:
            await self.server.start()
        except ServerError:
            return None  # the port was taken meanwhile: the accounting says "no counter"
        try:
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                found = self.tsdb.select_range(ORDER_REQUESTS, self.timeline.st(time.time()), 3600)
                fresh = [points[-1][1] for _, points in found if points[-1][0] > since * 1000]
                if fresh and len(fresh) == len(found):
                    return int(sum(fresh))
                await asyncio.sleep(0.1)
            return None
        finally:
            await self.server.stop()

    async def stop(self) -> None:
        await self.server.stop()

    def take_events(self) -> list[tuple[Event, float]]:
        taken, self.arrived = self.arrived, []
        return taken

    def take_logs(self) -> tuple[list[str], list[tuple[LogLine, float]]]:
        """Report URLs in the lines pushed since the last call, and their error lines."""
        lines = self.logs.new_lines()
        errors = [(pushed_error(p), self.wall(p.t)) for p in lines if _level(p) == "error"]
        return report_urls(lines), errors

    def wall(self, st: float) -> float:
        """The wall time of scenario second `st` (the store keeps scenario seconds)."""
        return (self.timeline.t0 or time.time()) + st / self.timeline.scale


def _fields(pushed: PushedLine) -> dict[str, Any]:
    try:
        data = jsontext.loads(pushed.line)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _level(pushed: PushedLine) -> str:
    return str(pushed.labels.get("level") or _fields(pushed).get("level") or "").lower()


def pushed_error(pushed: PushedLine) -> LogLine:
    """A pushed error line: a JSON line read like the service's log file, else its text."""
    return error_line(_fields(pushed), pushed.labels.get("type", ""), pushed.line)

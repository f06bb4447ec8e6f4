"""What a team's own service and alerting push to a run, on one port the team configures:
OTLP / Influx metrics into the run's TSDB (the built-in rules then see them), Loki log lines
(searched for report URLs, error lines kept for the post-mortem), and alerting webhooks
(Alertmanager, Grafana, OnCall, PagerDuty) turned into timeline events for the run loop."""

from __future__ import annotations

import itertools
import queue
import statistics
import threading
import time
from collections import defaultdict, deque
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette

from harness import jsontext
from harness.alerting.syntax import selector_matchers
from harness.alerting.tsdb import TSDB
from harness.ingest import LogLine as PushedLine
from harness.ingest import LogStore, ingest_routes, report_urls
from harness.receivers import TimelineSink, receiver_routes
from harness.receivers.signals import within_run
from harness.runner.served import ThreadServer
from harness.runner.tails import error_line
from harness.timeline import Event, LogLine, Timeline

INBOX = "run's inbox for pushes and webhooks (--telemetry-port, service.telemetry_port)"
MAX_WAITING = 200_000  # samples held until the scenario clock starts (the warm-up's pushes)
SANE_CLOCK_S = 30.0  # a payload time further than this from arrival is the team's clock, off


def sane_time(payload_time: float | None) -> float:
    """The payload's own time when it is near our clock (same machine, or synced), else arrival."""
    now = time.time()
    return now if payload_time is None else within_run(payload_time, now, now, SANE_CLOCK_S)


class PushedSamples:
    """Samples the inbox's thread received, waiting for the run loop's thread (the TSDB is not
    thread-safe): moved into the TSDB once the scenario clock runs, in scenario seconds. Also
    what the warm-up needs: which metric names arrived, and how often each series is pushed."""

    def __init__(self) -> None:
        self.waiting: queue.SimpleQueue[tuple[str, dict[str, str], float | None, float]]
        self.waiting = queue.SimpleQueue()
        self.names: set[str] = set()
        self.times: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=8))
        self.dropped = 0

    def ingest(self, name: str, labels: Mapping[str, str] | None, value: float, t: float) -> None:
        self.names.add(name)
        self.times[name].append(t)
        if self.waiting.qsize() >= MAX_WAITING:
            self.dropped += 1  # before the clock runs, nothing drains: bounded, and counted
            return
        self.waiting.put((name, dict(labels or {}), value, t))

    def ingest_stale(self, name: str, labels: Mapping[str, str] | None, t: float) -> None:
        self.waiting.put((name, dict(labels or {}), None, t))

    def interval_s(self) -> float | None:
        """The push cadence: wall seconds between a metric's samples (the median gap of the
        slowest metric), None before two pushes."""
        cadences = []
        for times in list(self.times.values()):
            gaps = [b - a for a, b in itertools.pairwise(sorted(set(times)))]
            if gaps:
                cadences.append(statistics.median(gaps))
        return max(cadences) if cadences else None

    def drain(self, tsdb: TSDB, timeline: Timeline) -> int:
        if timeline.t0 is None:
            return 0  # kept until scenario time exists
        moved = 0
        while True:
            try:
                name, labels, value, t = self.waiting.get_nowait()
            except queue.Empty:
                return moved
            st = timeline.st(t)
            if value is None:
                tsdb.ingest_stale(name, labels, st)
            else:
                tsdb.ingest(name, labels, value, st)
            moved += 1


class Inbox:
    """The push and webhook endpoints on a thread of their own: started before anything can push
    (a course-style logger exits its Node process on a refused push), stopped after the rollback."""

    def __init__(
        self, tsdb: TSDB, timeline: Timeline, host: str, port: int, counter: str | None = None
    ) -> None:
        self.logs = LogStore()
        self.samples = PushedSamples()
        self.arrived: queue.SimpleQueue[tuple[Event, float]] = queue.SimpleQueue()
        opened = time.time()

        def arrived(event: Event, at: float) -> None:
            start = timeline.t0 if timeline.t0 is not None else opened
            self.arrived.put((event, within_run(at, start, time.time())))

        sink = TimelineSink(arrived)
        routes = ingest_routes(self.samples, self.logs, sane_time, sink.rejected)
        self.app = Starlette(routes=[*routes, *receiver_routes(sink)])
        self.tsdb, self.timeline = tsdb, timeline
        self.counter = selector_matchers(counter, "service.order_counter") if counter else None
        self.server = ThreadServer(self.app, INBOX, host, port)
        self.url = ""
        self.lock = threading.Lock()

    def start(self) -> str:
        self.url = self.server.start()
        return self.url

    def stop(self) -> None:
        self.server.stop()

    def drain(self) -> None:
        self.samples.drain(self.tsdb, self.timeline)

    def pushed_orders(self, timeout_s: float = 10.0) -> int | None:
        """Orders the service counted (`service.order_counter`), from a push that arrives after
        this call (the diners have stopped); None when the service never pushed that series."""
        if not self.url or self.counter is None:
            return None
        self.drain()
        if not self.tsdb.select_range(self.counter, self.timeline.st(time.time()), 1e9):
            return None  # never pushed during the run: nothing to wait for
        since = self.timeline.st(time.time())
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.drain()
            found = self.tsdb.select_range(self.counter, self.timeline.st(time.time()), 1e9)
            fresh = [points[-1][1] for _, points in found if points[-1][0] > since * 1000]
            if fresh and len(fresh) == len(found):
                return int(sum(fresh))
            time.sleep(0.1)
        return None

    def take_events(self) -> list[tuple[Event, float]]:
        taken = []
        while not self.arrived.empty():
            taken.append(self.arrived.get_nowait())
        return taken

    def take_logs(self) -> tuple[list[str], list[tuple[LogLine, float]]]:
        """Report URLs in the lines pushed since the last call, and their error lines."""
        lines = self.logs.new_lines()
        errors = [(pushed_error(p), p.t) for p in lines if _level(p) == "error"]
        return report_urls(lines), errors


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

"""The run's control loop, in scenario time: scrape and evaluate alerts, page, tail the orders and
the service's logs, follow the factory's ground truth, auto-report, probe, and show progress."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import signal
import threading
import time
from collections import Counter
from datetime import datetime
from typing import Any

import httpx

from harness.alerting.diners import DinerSeries
from harness.alerting.tsdb import TSDB
from harness.autoreport import AutoReporter, find_report_urls, probe_order
from harness.durations import format_duration
from harness.errors import ServerError
from harness.live import LIVE
from harness.pager import NothingToAcknowledge, Pager
from harness.procs import ProcessGroup
from harness.runner.inbox import Inbox
from harness.runner.stack import FactoryControl, Stack
from harness.runner.tails import JsonLinesTail, error_line
from harness.runner.watch import AlertWatch, Watch, alert_state, make_watch
from harness.scenario import Scenario
from harness.timeline import (
    Acknowledged,
    ChaosEnded,
    ChaosStarted,
    Event,
    Order,
    Phase,
    Recovered,
    ServerStarted,
    Timeline,
)
from harness.traffic.events import OUTCOMES, tail_events

TICK_S = 0.02  # wall seconds between looks at the clock


def _epoch(ts: object) -> float | None:
    """The log line's own time (ISO 8601), or None (then: when it was read)."""
    try:
        return datetime.fromisoformat(str(ts)).timestamp()
    except ValueError:
        return None


class RunAborted(Exception):
    """People ended the run on purpose (a game day's `harness abort`): rolled back, interrupted."""


def inbox_for(scenario: Scenario, watch: AlertWatch, timeline: Timeline) -> Inbox | None:
    """The push and webhook endpoints, when the service under test is the team's own."""
    service = scenario.service
    if service.url is None and scenario.alerting.backend != "external":
        return None
    tsdb = watch.tsdb if isinstance(watch, Watch) else TSDB()  # Prometheus scrapes on its own
    port = service.telemetry_port or 0
    return Inbox(tsdb, timeline, service.factory_host, port, service.order_counter)


class RunLoop:
    def __init__(
        self, scenario: Scenario, stack: Stack, timeline: Timeline, group: ProcessGroup
    ) -> None:
        self.scenario, self.stack, self.timeline, self.group = scenario, stack, timeline, group
        self.control = FactoryControl(stack)
        self.watch = make_watch(scenario, stack.run_dir, stack.service_url, timeline, group)
        self.inbox = inbox_for(scenario, self.watch, timeline)
        self.pager = Pager(
            scenario.pager.oncall, scenario.pager.acknowledge_after, scenario.pager.escalate_after
        )
        auto = scenario.autoreport
        self.reporter = AutoReporter(auto.trigger, stack.factory_url, auto.retries, auto.backoff)
        self.orders_offset = 0  # bytes of the diners' events file already read
        self.service_log = JsonLinesTail(stack.service_log)
        self.outcomes: Counter[str] = Counter({o: 0 for o in OUTCOMES})
        self.diners = DinerSeries(OUTCOMES)
        self.seen_transitions = 0
        self.phase = ""
        self.started_st: float | None = None
        self.ended_st: float | None = None
        self.recovered_st: float | None = None
        self.last_progress = 0.0
        self.next_probe = 0.0
        self.probes = 0  # the runner's own orders, left out of the traffic accounting
        # What the service had counted before the run (None: unknown, a pushing team service).
        self.orders_before: int | None = 0
        self.failed_probes = 0
        self.probe_item: dict[str, Any] | None = None  # from the team's menu (the canary's)

    def register_probe_diner(self) -> str:
        """The runner's own diner, for probe orders; registered before any chaos."""
        email = f"probe-{secrets.token_hex(4)}@harness.local"  # a team's service keeps its users
        diner = {"name": "harness probe", "email": email, "password": secrets.token_hex(8)}
        answer = httpx.post(f"{self.stack.service_url}/api/auth", json=diner, timeout=10)
        answer.raise_for_status()
        token: str = answer.json()["token"]
        return token

    def wait_for_first_order(self, timeout_s: float = 30.0) -> None:
        """Block until the diners' first order answer arrives (their start-up takes a moment)."""
        deadline = time.monotonic() + timeout_s
        while (
            not self.stack.traffic_events.exists() or not self.stack.traffic_events.stat().st_size
        ):
            self.check_children()
            if time.monotonic() > deadline:
                raise ServerError(
                    f"no diner ordered within {timeout_s:.0f} s",
                    fix=f"see {self.stack.run_dir / 'traffic.log'}",
                )
            time.sleep(0.02)

    def st(self) -> float:
        return self.timeline.st(time.time())

    def add(self, event: Event, st: float | None = None) -> None:
        at = None if st is None else (self.timeline.t0 or 0.0) + st / self.scenario.time_scale
        self.timeline.add(event, at=at)

    async def run(self, probe_token: str) -> None:
        # SIGTERM cancels at an await, like Ctrl-C does under asyncio.run, never mid-bookkeeping.
        task = asyncio.current_task()
        assert task is not None
        if threading.current_thread() is threading.main_thread():
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        await self._loop(probe_token)

    def open_inbox(self) -> str:
        """Start the inbox (before the team's service exists: it pushes from its first second);
        it stays up through the rollback. Returns its URL ("" without an inbox)."""
        if self.inbox is None:
            return ""
        url = self.inbox.start()
        self.timeline.add(ServerStarted(name="inbox", url=url))
        print(f"inbox: pushes and webhooks to {url} (see the README's inbox paths)", flush=True)
        return url

    def close_inbox(self) -> None:
        if self.inbox is not None:
            self.inbox.stop()

    async def _loop(self, probe_token: str) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            self.set_phase("baseline")
            while not self.done():
                self.check_children()
                st = self.st()
                await self.watch_alerts(client, st)
                self.follow_inbox()
                await self.follow_factory(client)
                self.follow_orders_and_logs()
                await self.respond(client, st, probe_token)
                self.progress(st)
                await asyncio.sleep(TICK_S)
            await self.follow_factory(client)
            self.follow_orders_and_logs()
            self.follow_inbox()

    def done(self) -> bool:
        st = self.st()
        if st >= self.scenario.max_duration:
            return True
        return self.recovered_st is not None and st >= self.recovered_st + self.scenario.cooldown

    def check_children(self) -> None:
        for member in self.group.members:
            if not member.alive():
                raise ServerError(
                    f"the {member.name} process exited during the run",
                    fix=f"see {member.log_path}:\n{member.log_tail(8)}",
                )

    async def watch_alerts(self, client: httpx.AsyncClient, st: float) -> None:
        ticked = await self.watch.tick(client, self.stack.service_url, st, self.diners)
        for event_st, event in ticked:
            self.react(event, event_st)
        for event_st, event in self.pager.due(st):
            self.add(event, event_st)

    def react(self, event: Event, event_st: float) -> None:
        """Record an alerting event and act on it: a firing alert may trigger the reporter, a
        notification pages the on-call."""
        self.add(event, event_st)
        if getattr(event, "state_to", None) == "firing" and self.started_st is not None:
            self.reporter.alert_fired()  # a false alarm before the chaos triggers nothing
            self.set_phase("detected")
        if getattr(event, "kind", "") == "notified":
            self.pager.notify(event, event_st)  # type: ignore[arg-type]
        if isinstance(event, Acknowledged):  # a person, through the team's pager
            with contextlib.suppress(NothingToAcknowledge):
                self.pager.acknowledge(event.who, event_st)

    def follow_inbox(self) -> None:
        """Webhooks from the team's alerting, and the log lines its service pushed."""
        if self.inbox is None:
            return
        self.inbox.drain()
        for event, at in self.inbox.take_events():
            self.react(event, self.timeline.st(at))
        urls, errors = self.inbox.take_logs()
        self._urls(urls)
        for line, at in errors:
            self.timeline.add(line, at=at)

    async def follow_factory(self, client: httpx.AsyncClient) -> None:
        """The factory's own record: when the chaos really started and ended."""
        try:
            transitions = await self.control.transitions_async(client)
        except httpx.HTTPError:
            return  # checked again on the next tick; a dead factory is caught by check_children
        for record in transitions[self.seen_transitions :]:
            self.seen_transitions += 1
            event: Event | None = None
            if record["event"] == "chaos_started":
                event = ChaosStarted(type=record["type"])
            elif record["event"] in ("chaos_resolved", "chaos_cleared"):
                how = "resolved" if record["event"] == "chaos_resolved" else "cleared"
                event = ChaosEnded(type=record["type"], how=how)
            if event is not None:
                self.timeline.add(event, at=record["epoch"])
                self._chaos_changed(event)

    def _chaos_changed(self, event: Event) -> None:
        if isinstance(event, ChaosStarted):
            self.started_st = event.st
            self.set_phase("active")
        elif isinstance(event, ChaosEnded):
            self.ended_st = event.st if event.how == "resolved" else self.ended_st

    def follow_orders_and_logs(self) -> None:
        attempts, self.orders_offset = tail_events(self.stack.traffic_events, self.orders_offset)
        for attempt in attempts:
            order = Order(
                diner=attempt.diner,
                outcome=attempt.outcome,
                status=attempt.status,
                start=attempt.start,
                report_url=attempt.report_url,
            )
            self.timeline.add(order, at=attempt.end)
            self.outcomes[order.outcome] += 1
            latency = (attempt.end - attempt.start) * self.scenario.time_scale
            self.diners.observe(order.outcome, latency if attempt.answered else None)
            if order.outcome != "ok":
                self.reporter.order_failed()
            self._urls([order.report_url] if order.report_url else [])
        for line in self.service_log.read():
            if line.get("type") == "factory":
                self._urls(find_report_urls(line.get("answer")))
            if line.get("level") == "error":
                self.timeline.add(error_line(line), at=_epoch(line.get("ts")))

    def _urls(self, urls: list[str]) -> None:
        for event in self.reporter.saw_urls(urls):
            self.add(event)

    async def respond(self, client: httpx.AsyncClient, st: float, token: str) -> None:
        if self.reporter.wants_call(st):
            called = await self.reporter.call(client, st)
            self.add(called)
            if self.reporter.resolved:
                self.set_phase("reported")
        if self.recovered_st is None and self.ended_st is not None and st >= self.next_probe:
            await self.confirm_recovery(client, st, token)

    async def confirm_recovery(self, client: httpx.AsyncClient, st: float, token: str) -> None:
        """After the chaos ended: a probe order must make a verified pizza (or, without a
        probe, the factory's word is taken)."""
        if not self.scenario.autoreport.probe:
            recovered: Recovered | None = Recovered(how="the factory ended the chaos")
        else:
            answered, recovered = await probe_order(
                client, self.stack.service_url, self.stack.factory_url, token, self.probe_item
            )
            self.probes += answered  # only orders the service saw count against its counter
        if recovered is None:
            self.failed_probes += 1
            gap = self.scenario.autoreport.backoff * 2 ** min(self.failed_probes, 6)
            self.next_probe = st + max(gap, 0.2 * self.scenario.time_scale)  # >= 0.2 s wall
            return
        self.add(recovered)
        self.recovered_st = recovered.st
        self.set_phase("recovered")

    def alert_state(self) -> str:
        """inactive, pending or firing: from the engine, or (external alerting) the timeline."""
        if self.scenario.alerting.backend != "external":
            return self.watch.summary()
        return alert_state(self.timeline.events)

    def set_phase(self, name: str) -> None:
        if name != self.phase:
            self.phase = name
            self.add(Phase(name=name))

    def progress(self, st: float) -> None:
        now = time.time()
        if now - self.last_progress < 1.0:
            return
        self.last_progress = now
        wall = now - (self.timeline.t0 or now)
        bad = sum(v for k, v in self.outcomes.items() if k not in ("ok", "slow"))
        chaos = (
            "active"
            if self.started_st is not None and self.ended_st is None
            else ("ended" if self.ended_st is not None else "armed")
        )
        LIVE.show(
            f"  [{format_duration(st):>7} | wall {wall:5.1f}s] {self.phase:<9} "
            f"orders ok {self.outcomes['ok']:>4} slow {self.outcomes['slow']:>3} failed {bad:>4}  "
            f"alert {self.alert_state():<10} chaos {chaos}"
        )

"""The run's control loop, in scenario time: a RunState, and followers that each poll one source
every tick (alerts, the inbox, the factory's record, the diners' orders and the service's log),
then the response (pager, auto-reporter, recovery probe) and a view (the live line). `settle`
is what the rollback calls once the diners have stopped. A game day adds its own view, session
and stop reason instead of subclassing (harness.gameday.loop)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx

from harness.errors import ServerError
from harness.procs import ProcessGroup
from harness.runner.finish import service_order_count
from harness.runner.followers import (
    AlertFollower,
    FactoryFollower,
    Follower,
    InboxFollower,
    OrdersFollower,
)
from harness.runner.inbox import Inbox
from harness.runner.live import LiveLine
from harness.runner.preflight import register_diner
from harness.runner.respond import Response
from harness.runner.stack import FactoryControl, Stack
from harness.runner.state import RunState
from harness.runner.watch import AlertWatch, make_watch
from harness.scenario import Scenario
from harness.timeline import ServerStarted, Timeline

TICK_S = 0.02  # wall seconds between looks at the clock


class RunAborted(Exception):
    """People ended the run on purpose (a game day's `harness abort`): rolled back, interrupted."""


def inbox_for(scenario: Scenario, watch: AlertWatch, timeline: Timeline) -> Inbox | None:
    """The push and webhook endpoints, when the service under test is the team's own."""
    service = scenario.service
    if service.url is None and scenario.alerting.backend != "external":
        return None
    port = service.telemetry_port or 0
    return Inbox(watch.tsdb, timeline, service.factory_host, port, service.order_counter)


class RunLoop:
    def __init__(
        self, scenario: Scenario, stack: Stack, timeline: Timeline, group: ProcessGroup
    ) -> None:
        self.scenario, self.stack, self.group = scenario, stack, group
        self.state = RunState(scenario, timeline)
        self.control = FactoryControl(stack)
        self.watch = make_watch(scenario, stack.run_dir, stack.service_url, timeline, group)
        self.inbox = inbox_for(scenario, self.watch, timeline)
        self.response = Response(self.state, stack)
        self.factory = FactoryFollower(self.control, self.state)
        self.orders = OrdersFollower(stack, self.state, self.response)
        self.pushes = InboxFollower(self.inbox, self.state, self.response) if self.inbox else None
        self.followers: list[Follower] = [
            AlertFollower(self.watch, self.state, self.response, stack.service_url),
            *([self.pushes] if self.pushes else []),
            self.factory,
            self.orders,
            self.response,
        ]
        self.view: Callable[[float], None] = LiveLine(self.state, self.watch.summary).show
        self.sessions: list[Callable[[], AbstractAsyncContextManager[object]]] = []

    def register_probe_diner(self) -> None:
        """The runner's own diner, for probe orders; registered before any chaos."""
        with httpx.Client(timeout=10) as client:
            token = register_diner(client, self.stack.service_url, "probe")
        self.response.probe_token = token

    def wait_for_first_order(self, timeout_s: float = 30.0) -> None:
        """Block until the diners' first order answer arrives (their start-up takes a moment)."""
        events = self.stack.traffic_events
        deadline = time.monotonic() + timeout_s
        while not events.exists() or not events.stat().st_size:
            self.check_children()
            if time.monotonic() > deadline:
                raise ServerError(
                    f"no diner ordered within {timeout_s:.0f} s",
                    fix=f"see {self.stack.run_dir / 'traffic.log'}",
                )
            time.sleep(0.02)

    def open_inbox(self) -> str:
        """Start the inbox (before the team's service exists: it pushes from its first second);
        it stays up through the rollback. Returns its URL ("" without an inbox)."""
        if self.inbox is None:
            return ""
        url = self.inbox.start()
        self.state.timeline.add(ServerStarted(name="inbox", url=url))
        print(f"inbox: pushes and webhooks to {url} (paths: docs/receivers.md)", flush=True)
        return url

    def close_inbox(self) -> None:
        if self.inbox is not None:
            self.inbox.stop()

    async def run(self) -> None:
        # SIGTERM cancels at an await, like Ctrl-C does under asyncio.run, never mid-bookkeeping.
        task = asyncio.current_task()
        assert task is not None
        if threading.current_thread() is threading.main_thread():
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        async with contextlib.AsyncExitStack() as sessions:
            for session in self.sessions:
                await sessions.enter_async_context(session())
            await self._loop()
        if self.state.stop_reason is not None:
            raise RunAborted(self.state.stop_reason)

    async def _loop(self) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            self.state.set_phase("baseline")
            while not self.state.done():
                self.check_children()
                st = self.state.st()
                for follower in self.followers:
                    await follower.poll(client, st)
                self.view(st)
                await asyncio.sleep(TICK_S)
            await self.factory.poll(client, self.state.st())
            self.orders.follow()

    def check_children(self) -> None:
        for member in self.group.members:
            if not member.alive():
                raise ServerError(
                    f"the {member.name} process exited during the run",
                    fix=f"see {member.log_path}:\n{member.log_tail(8)}",
                )

    def settle(self) -> int | None:
        """After the diners stopped: the last orders, log lines and factory transitions, and the
        orders the service counted during the run (None: it has no counter)."""
        self.orders.follow()
        counter = self.scenario.service.order_counter
        if self.pushes is not None:
            self.pushes.follow()
        if self.inbox is not None and self.scenario.service.metrics == "push":
            counted = self.inbox.pushed_orders()
        else:
            counted = service_order_count(self.stack, counter)
        asyncio.run(self._last_transitions())
        if counted is not None and self.state.orders_before is not None:
            counted -= self.state.orders_before  # a team's service counted orders before us
        return counted

    async def _last_transitions(self) -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            await self.factory.poll(client, self.state.st())

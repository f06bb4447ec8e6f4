"""People in the runner's control loop: the pager waits for a person's `harness ack`, a person's
`harness resolve URL` is followed like the auto-reporter's calls (factory address only),
`harness abort` ends the run through the usual rollback; the dashboard replaces the live line.
A GameDay attaches to a RunLoop: its control API as a session, its dashboard as the view, and an
abort as the loop's stop reason."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from harness.autoreport import follow_report_url
from harness.durations import format_duration
from harness.gameday.control import ControlServer, Refused
from harness.gameday.dashboard import Dashboard, View
from harness.pager import NothingToAcknowledge
from harness.procs import ProcessGroup
from harness.report_urls import on_factory
from harness.runner.loop import RunLoop
from harness.runner.stack import Stack
from harness.runner.watch import active_alerts
from harness.scenario import Scenario
from harness.timeline import Action, Timeline


class GameDay:
    def __init__(self, loop: RunLoop, *, report_dir: Path, dashboard: Dashboard) -> None:
        self.loop, self.state, self.response = loop, loop.state, loop.response
        self.report_dir, self.board = report_dir, dashboard
        self.actions: list[Action] = []
        loop.view = self.progress
        loop.sessions.append(self.session)

    @classmethod
    def make_loop(
        cls, scenario: Scenario, stack: Stack, timeline: Timeline, group: ProcessGroup, **kw: Any
    ) -> RunLoop:
        """A RunLoop with a game day attached (runner.execute's `make_loop`)."""
        loop = RunLoop(scenario, stack, timeline, group)
        cls(loop, **kw)
        return loop

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[None]:
        control = ControlServer(self, self.report_dir, self.loop.stack.run_dir)
        await control.start()
        try:
            with self.board:
                yield
        finally:
            await control.stop()

    def act(self, who: str, action: str, detail: str = "") -> None:
        event = Action.model_validate({"who": who, "action": action, "detail": detail})
        self.state.add(event)
        self.actions.append(event)

    def acknowledge(self, who: str) -> str:
        st = self.state.st()
        try:
            acknowledged = self.response.pager.acknowledge(who, st)
        except NothingToAcknowledge as exc:
            raise Refused(str(exc)) from None
        self.act(who, "ack")
        self.state.add(acknowledged)
        return f"acknowledged by {who} at {format_duration(st)}"

    async def resolve(self, who: str, url: str) -> dict[str, Any]:
        """Follow `url` for `who`, exactly as the auto-reporter would; recovery is then confirmed
        by the loop's usual probe orders once the factory says the chaos ended."""
        self.act(who, "resolve", url)
        refused = self.response.reporter.refusal(url)
        if refused is not None:
            self.state.add(refused)
            raise Refused(f"not followed: {refused.reason}")
        ours = (
            on_factory(url, self.response.reporter.factory_url) or url
        )  # refusal() said it is ours
        async with httpx.AsyncClient(timeout=10) as client:
            called = await follow_report_url(client, ours, who)
        self.state.add(called)
        if called.outcome in ("resolved", "no_chaos"):
            self.response.reporter.resolved = (
                True  # an auto-reporter, if on, has nothing left to do
            )
            self.state.set_phase("reported")
        return {
            "message": f"the factory answered {called.status}: {called.message}",
            "outcome": called.outcome,
            "status": called.status,
        }

    def abort(self, who: str) -> str:
        if self.state.stop_reason is not None:
            raise Refused(f"already aborting ({self.state.stop_reason})")
        self.act(who, "abort")
        self.state.stop_reason = f"aborted by {who} (harness abort)"
        return (
            f"aborting for {who}: the game day clears the chaos, stops its servers and writes "
            f"the post-mortem to {self.loop.stack.run_dir}"
        )

    def progress(self, st: float) -> None:
        if self.board.due():
            self.board.show(self.view(st))

    def view(self, st: float) -> View:
        orders = self.board.orders
        orders.feed(self.state.timeline.events)
        ok_per_s, failed_per_s, share = orders.rates(st)
        alerts = sorted(active_alerts(self.state.timeline.events))
        return View(
            scenario=self.state.scenario.name,
            time_scale=self.state.scenario.time_scale,
            st=st,
            ok=orders.ok,
            failed=orders.failed,
            ok_per_s=ok_per_s,
            failed_per_s=failed_per_s,
            error_rate=share,
            alert=self.loop.watch.summary(),
            alerts=alerts,
            pager=self.pager_state(),
            actions=self.actions,
            how_to_act=self.how_to_act(),
        )

    def pager_state(self) -> str:
        pager = self.response.pager
        if pager.acknowledged_at is not None:
            when = format_duration(pager.acknowledged_at)
            return f"acknowledged by {pager.acknowledged_by} at {when}"
        if pager.paged_at is None:
            return "quiet"
        pages = len(pager.pages)
        return (
            f"paged {pager.oncall} at {format_duration(pager.paged_at)} "
            f"({pages} page{'s' if pages > 1 else ''}), NOT acknowledged"
        )

    def how_to_act(self) -> list[str]:
        where = (
            ""
            if self.report_dir == Path("reports").resolve()
            else f" --report-dir {self.report_dir}"
        )
        return [
            f"harness ack --who NAME{where}",
            f"harness resolve REPORT_URL --who NAME{where}",
            f"harness abort --who NAME{where}",
        ]

"""The runner's control loop with people in it: the pager waits for a person's `harness ack`,
a person's `harness resolve URL` is followed like the auto-reporter's calls (factory host only),
`harness abort` ends the run through the usual rollback; the dashboard replaces the progress line.
"""

from __future__ import annotations

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
from harness.runner.loop import RunAborted, RunLoop
from harness.runner.stack import Stack
from harness.runner.watch import active_alerts
from harness.scenario import Scenario
from harness.timeline import Action, Timeline


class GameDayLoop(RunLoop):
    def __init__(
        self,
        scenario: Scenario,
        stack: Stack,
        timeline: Timeline,
        group: ProcessGroup,
        *,
        report_dir: Path,
        dashboard: Dashboard,
    ) -> None:
        super().__init__(scenario, stack, timeline, group)
        self.report_dir, self.board = report_dir, dashboard
        self.actions: list[Action] = []
        self.aborted_by: str | None = None

    async def run(self, probe_token: str) -> None:
        control = ControlServer(self, self.report_dir, self.stack.run_dir)
        await control.start()
        try:
            with self.board:
                await super().run(probe_token)
        finally:
            await control.stop()
        if self.aborted_by is not None:
            raise RunAborted(f"aborted by {self.aborted_by} (harness abort)")

    def done(self) -> bool:
        return self.aborted_by is not None or super().done()

    def act(self, who: str, action: str, detail: str = "") -> None:
        event = Action.model_validate({"who": who, "action": action, "detail": detail})
        self.add(event)
        self.actions.append(event)

    def acknowledge(self, who: str) -> str:
        st = self.st()
        try:
            acknowledged = self.pager.acknowledge(who, st)
        except NothingToAcknowledge as exc:
            raise Refused(str(exc)) from None
        self.act(who, "ack")
        self.add(acknowledged)
        return f"acknowledged by {who} at {format_duration(st)}"

    async def resolve(self, who: str, url: str) -> dict[str, Any]:
        """Follow `url` for `who`, exactly as the auto-reporter would; recovery is then confirmed
        by the loop's usual probe orders once the factory says the chaos ended."""
        self.act(who, "resolve", url)
        refused = self.reporter.refusal(url)
        if refused is not None:
            self.add(refused)
            raise Refused(f"not followed: {refused.reason}")
        ours = on_factory(url, self.reporter.factory_url) or url  # refusal() said it is ours
        async with httpx.AsyncClient(timeout=10) as client:
            called = await follow_report_url(client, ours, who)
        self.add(called)
        if called.outcome in ("resolved", "no_chaos"):
            self.reporter.resolved = True  # an auto-reporter, if on, has nothing left to do
            self.set_phase("reported")
        return {
            "message": f"the factory answered {called.status}: {called.message}",
            "outcome": called.outcome,
            "status": called.status,
        }

    def abort(self, who: str) -> str:
        if self.aborted_by is not None:
            raise Refused(f"already aborting (asked by {self.aborted_by})")
        self.act(who, "abort")
        self.aborted_by = who
        return (
            f"aborting for {who}: the game day clears the chaos, stops its servers and writes "
            f"the post-mortem to {self.stack.run_dir}"
        )

    def progress(self, st: float) -> None:
        if self.board.due():
            self.board.show(self.view(st))

    def view(self, st: float) -> View:
        orders = self.board.orders
        orders.feed(self.timeline.events)
        ok_per_s, failed_per_s, share = orders.rates(st)
        alerts = sorted(active_alerts(self.timeline.events))
        return View(
            scenario=self.scenario.name,
            time_scale=self.scenario.time_scale,
            st=st,
            ok=orders.ok,
            failed=orders.failed,
            ok_per_s=ok_per_s,
            failed_per_s=failed_per_s,
            error_rate=share,
            alert=self.watch.summary(),
            alerts=alerts,
            pager=self.pager_state(),
            actions=self.actions,
            how_to_act=self.how_to_act(),
        )

    def pager_state(self) -> str:
        pager = self.pager
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

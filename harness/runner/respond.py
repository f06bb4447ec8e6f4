"""Who acts on what the followers see: the pager pages the on-call when alerting notifies, the
auto-reporter calls the factory's report URL (on a firing alert or the first failure, as the
scenario says), and once the factory ends the chaos a probe order confirms pizza is back."""

from __future__ import annotations

import contextlib

import httpx

from harness.autoreport import AutoReporter, probe_order
from harness.pager import NothingToAcknowledge, Pager
from harness.runner.stack import Stack
from harness.runner.state import RunState
from harness.timeline import Acknowledged, Event, Recovered


class Response:
    def __init__(self, state: RunState, stack: Stack) -> None:
        scenario = state.scenario
        self.state, self.stack = state, stack
        page = scenario.pager
        self.pager = Pager(page.oncall, page.acknowledge_after, page.escalate_after)
        auto = scenario.autoreport
        self.reporter = AutoReporter(auto.trigger, stack.factory_url, auto.retries, auto.backoff)
        self.probe_token = ""  # the runner's own diner (register_probe_diner)
        self.failed_probes = 0
        self.next_probe = 0.0

    def react(self, event: Event, event_st: float) -> None:
        """Record an alerting event and act on it: a firing alert may trigger the reporter, a
        notification pages the on-call, a person's acknowledgement stops the paging."""
        self.state.add(event, event_st)
        if getattr(event, "state_to", None) == "firing" and self.state.started_st is not None:
            self.reporter.alert_fired()  # a false alarm before the chaos triggers nothing
            self.state.set_phase("detected")
        if getattr(event, "kind", "") == "notified":
            self.pager.notify(event, event_st)  # type: ignore[arg-type]
        if isinstance(event, Acknowledged):  # a person, through the team's pager
            with contextlib.suppress(NothingToAcknowledge):
                self.pager.acknowledge(event.who, event_st)

    def saw_urls(self, urls: list[str]) -> None:
        for event in self.reporter.saw_urls(urls):
            self.state.add(event)

    async def poll(self, client: httpx.AsyncClient, st: float) -> None:
        for event_st, event in self.pager.due(st):
            self.state.add(event, event_st)
        if self.reporter.wants_call(st):
            self.state.add(await self.reporter.call(client, st))
            if self.reporter.resolved:
                self.state.set_phase("reported")
        state = self.state
        if state.recovered_st is None and state.ended_st is not None and st >= self.next_probe:
            await self.confirm_recovery(client, st)

    async def confirm_recovery(self, client: httpx.AsyncClient, st: float) -> None:
        """After the chaos ended: a probe order must make a verified pizza (or, without a
        probe, the factory's word is taken)."""
        scenario = self.state.scenario
        recovered: Recovered | None = Recovered(how="the factory ended the chaos")
        if scenario.autoreport.probe:
            stack = self.stack
            answered, recovered = await probe_order(
                client,
                stack.service_url,
                stack.factory_url,
                self.probe_token,
                self.state.probe_item,
            )
            self.state.probes += answered  # only orders the service saw count against its counter
        if recovered is None:
            self.failed_probes += 1
            gap = scenario.autoreport.backoff * 2 ** min(self.failed_probes, 6)
            self.next_probe = st + max(gap, 0.2 * scenario.time_scale)  # >= 0.2 s wall
            return
        self.state.add(recovered)
        self.state.recovered_st = recovered.st
        self.state.set_phase("recovered")

"""Built-in alerting during a run: scrape the service (and the diners' own counts) on the
scenario's scrape interval, evaluate the rules on the evaluation grid, and hand notifications
out after group wait / group interval; everything in scenario seconds, as timeline events."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from harness.alerting.diners import DinerSeries
from harness.alerting.engine import AlertEngine
from harness.alerting.grafana.state import GrafanaEngine, coarse_state
from harness.alerting.grafana.watch import grafana_watch
from harness.alerting.notify import Notification, Notifier
from harness.alerting.record import alert_event, rule_events, worst_state
from harness.alerting.rules import load_rules
from harness.alerting.tsdb import TSDB, ExpositionError
from harness.procs import ProcessGroup
from harness.scenario import Alerting, Scenario
from harness.timeline import Alert, AlertRule, Event, Notified, TelemetryProblem, Timeline

Timed = list[tuple[float, Event]]


class AlertWatch(Protocol):
    """What the run loop needs from alerting, whichever backend (`alerting.backend`) runs it:
    the built-in evaluator (Prometheus rules or a Grafana export), a real Prometheus and
    Alertmanager, or the team's own alerting (external). `tsdb` takes what a service pushes."""

    tsdb: TSDB

    async def tick(
        self, client: httpx.AsyncClient, service_url: str, st: float, diners: DinerSeries
    ) -> Timed: ...

    def rule_events(self) -> list[AlertRule]: ...

    def summary(self) -> str: ...


def make_watch(
    scenario: Scenario, run_dir: Path, service_url: str, timeline: Timeline, group: ProcessGroup
) -> AlertWatch:
    """The built-in evaluator, or a real Prometheus + Alertmanager started in `group`."""
    if scenario.alerting.backend == "prometheus":
        from harness.alerting.backends.prometheus import PrometheusWatch

        return PrometheusWatch.start(scenario, run_dir, service_url, timeline, group)
    if scenario.alerting.backend == "external":
        return ExternalWatch(timeline)
    scrape = scenario.service.metrics == "scrape"
    return Watch(scenario.alerting, scenario.pager.oncall, scrape=scrape)


class Watch:
    def __init__(self, alerting: Alerting, who: str = "on-call", *, scrape: bool = True) -> None:
        self.tsdb = TSDB()
        self.engine: AlertEngine | GrafanaEngine
        if alerting.grafana_rules is not None:
            self.engine, self.notifier, self.rules = grafana_watch(
                alerting.grafana_rules, self.tsdb
            )
        else:
            rules = load_rules(alerting.rules, where="alerting.rules")
            self.rules = rule_events([rule for group in rules for rule in group.rules])
            self.engine = AlertEngine(rules, alerting.evaluation_interval, self.tsdb)
            self.notifier = Notifier(
                alerting.group_by,
                alerting.group_wait,
                alerting.group_interval,
                alerting.repeat_interval,
            )
        self.scrape_every = alerting.scrape_interval
        self.next_scrape = 0.0
        self.first_eval = alerting.evaluation_interval
        if isinstance(self.engine, GrafanaEngine):  # each group runs on its own interval
            self.first_eval = min(r.interval_s for r in self.engine.rules)
        self.who = who
        self.scrape_service = scrape  # False: the service pushes its metrics (see runner.inbox)
        self.scraped = False  # the last scrape worked

    async def tick(
        self, client: httpx.AsyncClient, service_url: str, st: float, diners: DinerSeries
    ) -> Timed:
        out: Timed = []
        if st >= self.next_scrape:
            failed = await self.scrape(client, service_url, st, diners)
            out += [(st, failed)] if failed is not None else []
            while self.next_scrape <= st:
                self.next_scrape += self.scrape_every
        due = self.engine.next_due()
        at = self.first_eval if due is None else due
        if st >= at:
            transitions = self.engine.evaluate(at)
            out += [(tr.t, alert_event(tr)) for tr in transitions]
            self.notifier.receive(transitions, at)
        out += [(n.t, self.notified(n)) for n in self.notifier.due(st)]
        return out

    async def scrape(
        self, client: httpx.AsyncClient, service_url: str, st: float, diners: DinerSeries
    ) -> TelemetryProblem | None:
        """Scrape the service and take the diners' series; the first failed scrape of a streak
        is returned as an event (a scrape that always fails was reported by the warm-up)."""
        target = {"job": "pizza-service", "instance": urlsplit(service_url).netloc}
        failed: TelemetryProblem | None = None
        try:
            if self.scrape_service:
                answer = await client.get(f"{service_url}/metrics")
                answer.raise_for_status()
                self.tsdb.ingest_exposition(answer.text, st, target)
                self.scraped = True
        except (httpx.HTTPError, ExpositionError) as exc:
            self.tsdb.scrape_failed(st, target)
            if self.scraped:
                detail = f"scraping {service_url}/metrics failed: {exc!r}"[:300]
                failed = TelemetryProblem(problem="scrape_failed", detail=detail)
            self.scraped = False
        for name, labels, value in diners.samples():
            self.tsdb.ingest(name, labels, value, st)
        return failed

    def notified(self, note: Notification) -> Notified:
        names = sorted({a.labels.get("alertname", "") for a in note.alerts})
        return Notified(
            group=note.group_key,
            status=note.status,
            alerts=names,
            who=self.who,
            reason=note.reason,
        )

    def rule_events(self) -> list[AlertRule]:
        return self.rules

    def summary(self) -> str:
        return worst_state(coarse_state(a.state) for a in self.engine.alerts())


class ExternalWatch:
    """The team's own alerting: its webhooks reach the run through the inbox (whose events the
    run loop hands to the response), so nothing is evaluated here; the state is the timeline's."""

    def __init__(self, timeline: Timeline) -> None:
        self.tsdb, self.timeline = TSDB(), timeline

    async def tick(
        self, client: httpx.AsyncClient, service_url: str, st: float, diners: DinerSeries
    ) -> Timed:
        return []

    def rule_events(self) -> list[AlertRule]:
        return []

    def summary(self) -> str:
        return alert_state(self.timeline.events)


def active_alerts(events: list[Any]) -> dict[str, str]:
    """Alert name -> pending or firing, for the alerts in either state now (from the timeline:
    whichever backend, external alerting included)."""
    latest: dict[tuple[str, tuple[tuple[str, str], ...]], str] = {}
    for event in events:
        if isinstance(event, Alert):
            latest[(event.alertname, tuple(sorted(event.labels.items())))] = event.state_to
    active: dict[str, str] = {}
    for (name, _), state in sorted(latest.items()):
        if state in ("pending", "firing") and active.get(name) != "firing":
            active[name] = state
    return active


def alert_state(events: list[Any]) -> str:
    return worst_state(active_alerts(events).values())

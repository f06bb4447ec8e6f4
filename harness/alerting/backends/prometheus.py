"""Alerting by a real Prometheus and Alertmanager (Debian's binaries), with the Watch interface.

`PrometheusWatch.start(...)` starts, in the run's ProcessGroup and on free 127.0.0.1 ports: the
harness's receiver (webhooks and the diners' counts, receiver.py), Alertmanager and Prometheus,
with the configuration of promconfig.py (durations divided by the time scale) in
`run_dir/prometheus/`. On every tick of the run loop it then:
- hands the diners' series to the receiver (scraped as `diner_orders_total{outcome}` and
  `diner_order_latency_seconds`);
- reads Prometheus's `/api/v1/alerts` (every quarter evaluation interval, and whenever a webhook
  came): a new alert, or a new `activeAt`, is an Alert event `pending` at `activeAt`; a pending
  alert gone from the list is `inactive` (Prometheus does not say when: the time it was missed);
- turns Alertmanager's webhooks into events: the state route's firing and resolved alerts are
  Alert events at their `startsAt` (FiredAt) and `endsAt` (ResolvedAt), the pager route's
  notifications are Notified events at their arrival.
Engine timestamps are epoch seconds, mapped to scenario time by the run's timeline.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from harness.alerting.backends.amwebhook import PayloadError, epoch, parse_payload
from harness.alerting.backends.promconfig import EngineConfig
from harness.alerting.backends.readiness import wait_ready, wait_warm
from harness.alerting.backends.receiver import Receiver
from harness.alerting.diners import DinerSeries
from harness.alerting.record import rule_events, worst_state
from harness.alerting.rules import every_rule
from harness.alerting.tsdb import TSDB
from harness.errors import ServerError
from harness.netutil import free_port
from harness.procs import ManagedProcess, ProcessGroup
from harness.scenario import Scenario
from harness.timeline import Alert, AlertRule, Event, Notified, Timeline

Timed = list[tuple[float, Event]]
Key = frozenset[tuple[str, str]]
INSTALL = (
    "install them: `sudo apt-get install prometheus prometheus-alertmanager` "
    "(or `make test`, which installs what is missing), or run with --alerting builtin"
)


def find_binary(*names: str) -> str:
    """The first of `names` on PATH; ServerError saying how to install them otherwise."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    raise ServerError(
        f"the Prometheus backend needs the `{names[0]}` binary, not found on PATH", fix=INSTALL
    )


def _key(labels: dict[str, str]) -> Key:
    return frozenset(labels.items())


class PrometheusWatch:
    def __init__(self, scenario: Scenario, timeline: Timeline, receiver: Receiver) -> None:
        alerting = scenario.alerting
        self.rules = every_rule(alerting.rules)
        self.config = EngineConfig.build(alerting, scenario.time_scale)
        self.timeline, self.receiver, self.who = timeline, receiver, scenario.pager.oncall
        self.tsdb = TSDB()  # Prometheus scrapes on its own: pushes to the inbox are not read
        self.prometheus_url = ""
        self.poll_every = max(0.05, self.config.eval_s / 4)  # wall seconds
        self.next_poll = 0.0
        self.in_api: dict[Key, tuple[float, str, float | None]] = {}  # activeAt, state, value
        self.open: set[Key] = set()  # a pending event out, no inactive/resolved yet
        self.firing: dict[Key, float] = {}  # startsAt of the episode the webhook said fires

    @classmethod
    def start(
        cls,
        scenario: Scenario,
        run_dir: Path,
        service_url: str,
        timeline: Timeline,
        group: ProcessGroup,
    ) -> PrometheusWatch:
        prometheus = find_binary("prometheus")
        alertmanager = find_binary("prometheus-alertmanager", "alertmanager")
        receiver = Receiver(run_dir)
        watch = cls(scenario, timeline, receiver)
        group.start(receiver)
        pport, aport = free_port(), free_port()
        folder = watch.config.write(
            run_dir / "prometheus",
            service_url,
            f"127.0.0.1:{receiver.port}",
            f"127.0.0.1:{aport}",
            receiver.url,
        )
        am = ManagedProcess(
            "alertmanager",
            [
                alertmanager,
                f"--config.file={folder / 'alertmanager.yml'}",
                f"--storage.path={folder / 'alertmanager-data'}",
                f"--web.listen-address=127.0.0.1:{aport}",
                "--cluster.listen-address=",  # no gossip: one Alertmanager, no HA wait
            ],
            f"http://127.0.0.1:{aport}/-/ready",
            run_dir / "alertmanager.log",
        )
        group.start(am)
        wait_ready(am.health_url, am)
        prom = ManagedProcess(
            "prometheus",
            [
                prometheus,
                f"--config.file={folder / 'prometheus.yml'}",
                f"--storage.tsdb.path={folder / 'data'}",
                f"--web.listen-address=127.0.0.1:{pport}",
                *watch.config.prometheus_flags(),
            ],
            f"http://127.0.0.1:{pport}/-/ready",
            run_dir / "prometheus.log",
        )
        group.start(prom)
        wait_ready(prom.health_url, prom)
        watch.prometheus_url = f"http://127.0.0.1:{pport}"
        wait_warm(watch.prometheus_url, prom)  # before the diners: the baseline counts
        print(f"alerting: Prometheus {watch.prometheus_url}, Alertmanager :{aport}", flush=True)
        for warning in watch.config.warnings:
            print(f"alerting: WARNING {warning}", file=sys.stderr, flush=True)
        return watch

    def st_of(self, wall: float) -> float:
        return self.timeline.st(wall)

    async def tick(
        self, client: httpx.AsyncClient, service_url: str, st: float, diners: DinerSeries
    ) -> Timed:
        self.receiver.set_diners(diners)
        inbox = self.receiver.drain()
        out: Timed = []
        if inbox or time.monotonic() >= self.next_poll:
            self.next_poll = time.monotonic() + self.poll_every
            out += await self.poll(client, st)
        for route, payload, arrived in inbox:
            out += self.webhook(route, payload, arrived)
        return sorted(out, key=lambda pair: pair[0])

    async def poll(self, client: httpx.AsyncClient, st: float) -> Timed:
        try:
            answer = await client.get(f"{self.prometheus_url}/api/v1/alerts")
            answer.raise_for_status()
            listed = answer.json()["data"]["alerts"]
        except (httpx.HTTPError, ValueError, KeyError):
            return []  # asked again next time; a dead Prometheus is caught by check_children
        return self.seen_in_api(listed, st)

    def seen_in_api(self, listed: list[dict[str, Any]], st: float) -> Timed:
        """Prometheus's active alerts now -> pending events (and inactive for dropped ones)."""
        out: Timed = []
        now: dict[Key, tuple[float, str, float | None]] = {}
        for item in listed:
            labels = {str(k): str(v) for k, v in item.get("labels", {}).items()}
            active = epoch(item.get("activeAt"))
            if active is None:
                continue
            value = _float(item.get("value"))
            key = _key(labels)
            now[key] = (active, str(item.get("state")), value)
            before = self.in_api.get(key)
            if before is None or before[0] != active:
                self.open.add(key)
                out.append((self.st_of(active), _alert(labels, "inactive", "pending", value)))
        for key, (_, state, value) in self.in_api.items():
            if key not in now and state == "pending" and key in self.open:
                self.open.discard(key)  # dropped while pending: Prometheus says nothing more
                out.append((st, _alert(dict(key), "pending", "inactive", value)))
        self.in_api = now
        return out

    def webhook(self, route: str, payload: Any, arrived: float) -> Timed:
        try:
            message = parse_payload(payload)
        except PayloadError as exc:
            print(f"alerting: webhook payload ignored: {exc}", file=sys.stderr, flush=True)
            return []
        if route == "pager":
            names = sorted({a.alertname for a in message.alerts})
            note = Notified(
                group=message.group_key,
                status=message.status,
                alerts=names,
                who=self.who,
                reason=message.reason or "alertmanager webhook",
            )
            return [(self.st_of(arrived), note)]
        out: Timed = []
        for a in message.alerts:
            key, value = _key(a.labels), self.in_api.get(_key(a.labels), (0, "", None))[2]
            if a.status == "firing" and self.firing.get(key) != a.starts_at:
                if key not in self.open:  # fired before a poll saw it pending (`for: 0`)
                    out.append((self.st_of(a.starts_at), _alert(a.labels, "inactive", "pending")))
                self.open.add(key)
                self.firing[key] = a.starts_at
                out.append((self.st_of(a.starts_at), _alert(a.labels, "pending", "firing", value)))
            elif a.status == "resolved" and key in self.firing:
                del self.firing[key]
                self.open.discard(key)
                ends = a.ends_at if a.ends_at is not None else arrived
                out.append((self.st_of(ends), _alert(a.labels, "firing", "resolved", value)))
        return out

    def rule_events(self) -> list[AlertRule]:
        return rule_events(list(self.rules))

    def summary(self) -> str:
        states = [state for _, state, _ in self.in_api.values()]
        return worst_state([*states, *(["firing"] if self.firing else [])])


def _alert(labels: dict[str, str], frm: str, to: str, value: float | None = None) -> Alert:
    fields = {"alertname": labels.get("alertname", ""), "labels": labels}
    return Alert.model_validate({**fields, "state_from": frm, "state_to": to, "value": value})


def _float(value: object) -> float | None:
    try:
        return float(str(value))
    except ValueError:
        return None

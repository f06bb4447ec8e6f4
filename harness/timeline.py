"""The run's one append-only record: typed events, one JSON line each, flushed as written.

Every event carries `t` (wall clock, epoch seconds) and `st` (scenario seconds since the run
began: wall time multiplied by the time scale). The verdict and the report read only this file.
The vocabulary is fixed: `kind` is one of the event classes below.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal, TextIO

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from harness.traffic.events import Outcome  # the diners' vocabulary (no locust import there)

GrafanaState = Literal["Normal", "Pending", "Alerting", "Recovering", "NoData", "Error"]


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid")
    t: float = 0.0
    st: float = 0.0


class RunStarted(Event):
    kind: Literal["run_started"] = "run_started"
    scenario: str
    time_scale: float
    seed: int


class ServerStarted(Event):
    kind: Literal["server_started"] = "server_started"
    name: str
    url: str


class Phase(Event):
    kind: Literal["phase"] = "phase"
    name: str


class ChaosArmed(Event):
    """One fault of the scenario's chaos armed (`type` its kind, `name` its name, `fault` it in
    words); the first to start begins the incident."""

    kind: Literal["chaos_armed"] = "chaos_armed"
    type: str
    starts_at_st: float
    name: str = ""
    ends_at_st: float | None = None  # its `for`, when it has one
    fault: str = ""
    episode: bool = True  # a real chaos type, with a report URL (every fault before fault kinds)


class ChaosStarted(Event):
    """Ground truth from the factory: the instant the first order felt this fault."""

    kind: Literal["chaos_started"] = "chaos_started"
    type: str
    name: str = ""


class ChaosEnded(Event):
    """Ground truth from the factory: a fault resolved by a report call, expired at the end of
    its `for`, or cleared by the harness."""

    kind: Literal["chaos_ended"] = "chaos_ended"
    type: str
    how: Literal["resolved", "expired", "cleared"]
    name: str = ""


class Order(Event):
    """One order attempt by a diner; `t` is when its answer came (`start` when it was sent)."""

    kind: Literal["order"] = "order"
    diner: str
    outcome: Outcome
    status: int | None = None
    start: float
    report_url: str | None = None


class Alert(Event):
    kind: Literal["alert"] = "alert"
    alertname: str
    labels: dict[str, str] = Field(default_factory=dict)
    state_from: str
    state_to: Literal["inactive", "pending", "firing", "resolved"]
    value: float | None = None
    # a Grafana-managed rule's own state name after the change (state_to is its coarse mapping)
    grafana_state: GrafanaState | None = None


class AlertRule(Event):
    """A rule the run evaluated, recorded at the start so the post-mortem can quote it."""

    kind: Literal["alert_rule"] = "alert_rule"
    alertname: str
    expr: str
    for_s: float = 0.0
    keep_firing_for_s: float = 0.0


class LogLine(Event):
    """An error line of the service's log (the seed's logErrors chart counts these)."""

    kind: Literal["log_line"] = "log_line"
    level: str
    type: str = ""
    status: int | None = None
    message: str = ""


class Notified(Event):
    kind: Literal["notified"] = "notified"
    group: str
    status: Literal["firing", "resolved"]
    alerts: list[str]
    who: str
    reason: str = ""


class Acknowledged(Event):
    kind: Literal["acknowledged"] = "acknowledged"
    who: str


class ReportCalled(Event):
    kind: Literal["report_called"] = "report_called"
    url: str
    who: str
    status: int | None
    message: str
    outcome: Literal["resolved", "no_chaos", "unresolved", "error"]


class ReportRefused(Event):
    """A security event: a report URL on a host other than the factory's was not followed."""

    kind: Literal["report_refused"] = "report_refused"
    url: str
    reason: str


class ReceiverRejected(Event):
    """A pushed webhook or telemetry payload the harness refused (answered 4xx), and why."""

    kind: Literal["receiver_rejected"] = "receiver_rejected"
    receiver: str
    path: str
    status: int
    reason: str
    errors: list[str] = Field(default_factory=list)


class TelemetryProblem(Event):
    """Something the harness noticed about what the service exposes or pushes: a rule's metric
    it never sends (with the closest names it does send), a failed scrape, no push at all, or
    the time scale a real service's cadence allows."""

    kind: Literal["telemetry_problem"] = "telemetry_problem"
    problem: Literal["metric_missing", "scrape_failed", "no_push", "time_scale"]
    detail: str
    alertname: str = ""
    metric: str = ""
    suggestions: list[str] = Field(default_factory=list)


class Action(Event):
    """What a person did during a game day (`harness ack`, `resolve URL`, `abort`), and who."""

    kind: Literal["action"] = "action"
    who: str
    action: Literal["ack", "resolve", "abort"]
    detail: str = ""


class Recovered(Event):
    kind: Literal["recovered"] = "recovered"
    how: str


class Accounting(Event):
    kind: Literal["accounting"] = "accounting"
    attempts: int
    outcomes: dict[str, int]
    service_orders: int | None
    consistent: bool
    detail: str = ""


class Check(Event):
    kind: Literal["check"] = "check"
    name: str
    passed: bool
    measured: float | None
    limit: float | None
    detail: str


class RunEnded(Event):
    kind: Literal["run_ended"] = "run_ended"
    status: Literal["passed", "failed", "error", "interrupted"]
    exit_code: int
    reason: str = ""


AnyEvent = Annotated[
    RunStarted
    | ServerStarted
    | Phase
    | ChaosArmed
    | ChaosStarted
    | ChaosEnded
    | Order
    | Alert
    | AlertRule
    | LogLine
    | Notified
    | Acknowledged
    | ReportCalled
    | ReportRefused
    | ReceiverRejected
    | TelemetryProblem
    | Action
    | Recovered
    | Accounting
    | Check
    | RunEnded,
    Field(discriminator="kind"),
]
EVENT = TypeAdapter(AnyEvent)


class Timeline:
    """Appends events to `path` (flushed per line) and keeps them in memory for the run.

    Scenario time starts with `start_clock` (when the diners are ordering); events added before
    it (start-up) are held and written then, with negative scenario times, or at `close`.
    """

    def __init__(self, path: Path, time_scale: float, t0: float | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.t0, self.scale = path, t0, time_scale
        self.events: list[Any] = []
        self._held: list[Event] = []
        self._file: TextIO = path.open("a", encoding="utf-8")

    def st(self, wall: float) -> float:
        """Scenario seconds at wall-clock `wall` (0 before the clock starts)."""
        return 0.0 if self.t0 is None else (wall - self.t0) * self.scale

    def start_clock(self, t0: float) -> None:
        self.t0 = t0
        held, self._held = self._held, []
        for event in held:
            self._write(event)

    def add(self, event: Event, at: float | None = None) -> Event:
        event.t = time.time() if at is None else at
        self.events.append(event)
        if self.t0 is None:
            self._held.append(event)
        else:
            self._write(event)
        return event

    def _write(self, event: Event) -> None:
        event.st = round(self.st(event.t), 6)
        self._file.write(event.model_dump_json() + "\n")
        self._file.flush()

    def of(self, kind: type[Event]) -> Iterator[Any]:
        return (e for e in self.events if isinstance(e, kind))

    def close(self) -> None:
        if self._held:
            self.start_clock(self._held[0].t)
        self._file.close()


def read_timeline(path: Path) -> list[Any]:
    """Every event of a timeline file, typed; a torn last line (a crash mid-write) is skipped."""
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(EVENT.validate_python(json.loads(line)))
        except ValueError:
            continue
    return events

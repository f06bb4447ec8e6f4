"""Alertmanager-style grouping and notification timing, in scenario time.

What Alertmanager's dispatcher (aggregation groups) and dedup stage do, for one route/receiver:
- only firing and resolved alerts come in (pending never reaches an Alertmanager);
- alerts are grouped by the values of `group_by` (`...`: all labels); a new group flushes
  `group_wait` after its first alert, then ticks every `group_interval`;
- at each flush a notification goes out if the group has a firing alert not in the last
  notification, or (send_resolved) an alert resolved since, or all its alerts resolved after a
  firing notification, or nothing changed for more than `repeat_interval` (checked on the ticks,
  so a repeat comes at the first tick after repeat_interval has passed);
- an alert that fired and resolved before its group's first flush never produces a
  notification; resolved alerts leave the group once flushed, an empty group is removed.
Simplifications: the group is removed at the flush that empties it (Alertmanager's garbage
collector takes up to 30 s more); a resolve for an alert never seen firing is ignored.
Call `receive` with transitions in time order; `due(t)` returns what was due up to t.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from harness.alerting.engine import AlertTransition
from harness.alerting.tsdb import Labels, make_labels, to_ms
from harness.errors import ConfigError


def fingerprint(labels: Labels) -> str:
    """Alertmanager's fingerprint: FNV-1a 64 over sorted names and values, 0xff-separated."""
    h = 0xCBF29CE484222325
    for name, value in sorted(labels):
        for part in (name, value):
            for byte in part.encode() + b"\xff":
                h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def label_set_string(labels: Labels) -> str:
    """Go's model.LabelSet.String(): {a="x", b="y"} (values quoted as Go's %q, roughly)."""
    pairs = sorted(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in labels)
    return "{" + ", ".join(pairs) + "}"


@dataclass(frozen=True)
class NotifiedAlert:
    labels: dict[str, str]
    annotations: dict[str, str]
    status: str  # firing | resolved
    starts_at: float  # when it fired (Prometheus FiredAt), not when it became pending
    ends_at: float | None  # resolve time; None while firing
    fingerprint: str


@dataclass(frozen=True)
class Notification:
    t: float
    group_key: str
    group_labels: dict[str, str]
    status: str  # firing if any alert in it fires, else resolved
    alerts: tuple[NotifiedAlert, ...]
    reason: str  # first notification | new alerts | resolved alerts | all alerts resolved | repeat


@dataclass
class _Alert:
    labels: Labels
    annotations: dict[str, str]
    starts_ms: int
    ends_ms: int | None = None


@dataclass
class _Group:
    key: str
    labels: Labels
    next_ms: int
    alerts: dict[str, _Alert] = field(default_factory=dict)
    flushed: bool = False


@dataclass(frozen=True)
class _Sent:
    firing: frozenset[str]
    resolved: frozenset[str]
    t_ms: int


class Notifier:
    def __init__(
        self,
        group_by: Sequence[str],
        group_wait_s: float = 30.0,
        group_interval_s: float = 300.0,
        repeat_interval_s: float = 4 * 3600.0,
        send_resolved: bool = True,
    ) -> None:
        for name, value, least in (
            ("group_wait_s", group_wait_s, 0.0),
            ("group_interval_s", group_interval_s, 0.001),
            ("repeat_interval_s", repeat_interval_s, 0.001),
        ):
            if not value >= least:
                raise ConfigError(name, f"must be {'positive' if least else '>= 0'}, got {value}")
        self.group_by = tuple(group_by)
        self.group_wait_ms = to_ms(group_wait_s)
        self.group_interval_ms = to_ms(group_interval_s)
        self.repeat_interval_ms = to_ms(repeat_interval_s)
        self.send_resolved = send_resolved
        self._groups: dict[str, _Group] = {}
        self._log: dict[str, _Sent] = {}  # Alertmanager's notification log, per group key
        self._ready: list[Notification] = []

    def receive(self, transitions: Iterable[AlertTransition], t: float) -> None:
        t_ms = to_ms(t)
        self._flush_until(t_ms, inclusive=False)  # ticks before t saw the group without these
        for tr in transitions:
            labels = make_labels(tr.labels)
            fp = fingerprint(labels)
            if tr.state_to == "firing":
                self._fire(labels, fp, tr, t_ms)
            elif tr.state_to == "resolved":
                for g in self._groups.values():
                    if fp in g.alerts:
                        g.alerts[fp].ends_ms = to_ms(tr.t)
                        g.alerts[fp].annotations = dict(tr.annotations)

    def _fire(self, labels: Labels, fp: str, tr: AlertTransition, t_ms: int) -> None:
        group_labels = self._group_labels(labels)
        key = "{}:" + label_set_string(group_labels)
        g = self._groups.get(key)
        if g is None:
            g = self._groups[key] = _Group(key, group_labels, t_ms + self.group_wait_ms)
        starts = to_ms(tr.fired_at if tr.fired_at is not None else tr.t)
        old = g.alerts.get(fp)
        if old is not None and old.ends_ms is None:
            starts = min(starts, old.starts_ms)  # still the same firing episode
        g.alerts[fp] = _Alert(labels, dict(tr.annotations), starts)
        if not g.flushed and starts + self.group_wait_ms < t_ms:
            g.next_ms = min(g.next_ms, t_ms)  # it waited long enough already: flush now

    def _group_labels(self, labels: Labels) -> Labels:
        if "..." in self.group_by:
            return labels
        return tuple(kv for kv in labels if kv[0] in self.group_by)

    def due(self, t: float) -> list[Notification]:
        """Notifications whose time came at or before t, in time order."""
        self._flush_until(to_ms(t), inclusive=True)
        ready, self._ready = self._ready, []
        return ready

    def next_due(self) -> float | None:
        """When the next group flushes (a notification may or may not go out then)."""
        pending = [g.next_ms for g in self._groups.values()]
        return min(pending) / 1000 if pending else None

    def _flush_until(self, limit_ms: int, inclusive: bool) -> None:
        while self._groups:
            g = min(self._groups.values(), key=lambda g: (g.next_ms, g.key))
            if g.next_ms > limit_ms or (g.next_ms == limit_ms and not inclusive):
                return
            self._flush(g, g.next_ms)

    def _flush(self, g: _Group, now_ms: int) -> None:
        g.flushed = True
        resolved = {
            fp for fp, a in g.alerts.items() if a.ends_ms is not None and a.ends_ms <= now_ms
        }
        firing = set(g.alerts) - resolved
        reason = self._reason(self._log.get(g.key), firing, resolved, now_ms)
        if reason:
            sent = [fp for fp in g.alerts if fp in firing or self.send_resolved]
            if sent:
                self._ready.append(self._notification(g, sent, firing, reason, now_ms))
            self._log[g.key] = _Sent(frozenset(firing), frozenset(resolved), now_ms)
        for fp in resolved:
            del g.alerts[fp]
        if g.alerts:
            g.next_ms = now_ms + self.group_interval_ms
        else:
            del self._groups[g.key]

    def _reason(self, last: _Sent | None, firing: set[str], resolved: set[str], now: int) -> str:
        """Alertmanager's DedupStage.needsUpdate, with the reason spelt out ("" = no)."""
        if last is None:
            return "first notification" if firing else ""
        if not firing <= last.firing:
            return "new alerts" if last.firing else "first notification"
        if not firing:
            return "all alerts resolved" if last.firing else ""
        if self.send_resolved and not resolved <= last.resolved:
            return "resolved alerts"
        return "repeat" if now - last.t_ms > self.repeat_interval_ms else ""

    def _notification(
        self, g: _Group, sent: list[str], firing: set[str], reason: str, now_ms: int
    ) -> Notification:
        alerts = tuple(
            NotifiedAlert(
                labels=dict(a.labels),
                annotations=dict(a.annotations),
                status="firing" if fp in firing else "resolved",
                starts_at=a.starts_ms / 1000,
                ends_at=None if fp in firing or a.ends_ms is None else a.ends_ms / 1000,
                fingerprint=fp,
            )
            for fp, a in sorted(((fp, g.alerts[fp]) for fp in sent), key=lambda x: x[1].labels)
        )
        status = "firing" if firing else "resolved"
        return Notification(now_ms / 1000, g.key, dict(g.labels), status, alerts, reason)

"""In-memory time-series store for the alerting engine: what a Prometheus TSDB holds, kept small.

Every timestamp is *scenario* time in seconds (float); it is stored as integer milliseconds, as
Prometheus stores it, so window edges compare exactly. A series is keyed by its full, sorted label
set (`__name__` included). Samples are appended in time order; an older or same-time sample for a
series is dropped (Prometheus rejects out-of-order and duplicate samples) and counted in
`rejected`.

Staleness, simplified but Prometheus-shaped:
- an instant selector returns a series' latest sample in the left-open lookback window
  (t - 5m, t] (Prometheus 3's `--query.lookback-delta` default), unless that sample is a
  staleness marker;
- `ingest_exposition` remembers which series each scrape target (its `extra_labels`) exposed and
  writes a staleness marker for a series the next scrape no longer exposes, as Prometheus does;
  `scrape_failed` marks all of a target's series stale and writes `up` 0.
Retention: samples older than `retention_s` (default 1 h scenario time) before the newest
ingested sample are dropped, so a long run stays bounded in memory.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

from harness.alerting.matchers import Matcher
from harness.errors import ConfigError

__all__ = [
    "LOOKBACK_S",
    "TSDB",
    "Labels",
    "Matcher",
    "Series",
    "format_labels",
    "make_labels",
    "to_ms",
]

Labels = tuple[tuple[str, str], ...]  # sorted by name; hashable, so it keys a series
LOOKBACK_S = 300.0
PRUNE_EVERY_MS = 60_000


def to_ms(t: float) -> int:
    return round(t * 1000)


def make_labels(labels: Mapping[str, str]) -> Labels:
    return tuple(sorted((k, v) for k, v in labels.items() if v != ""))


def label_value(labels: Labels, name: str) -> str:
    """A missing label reads as the empty string, as in Prometheus."""
    for k, v in labels:
        if k == name:
            return v
    return ""


def format_labels(labels: Labels) -> str:
    """Prometheus's labels.String(): `{__name__="up", job="api"}`."""
    return "{" + ", ".join(f'{k}="{_quote(v)}"' for k, v in labels) + "}"


def _quote(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def drop_name(labels: Labels) -> Labels:
    return tuple(kv for kv in labels if kv[0] != "__name__")


def _scraped_labels(name: str, exposed: Mapping[str, str], extra: Mapping[str, str]) -> Labels:
    labels = {(f"exported_{k}" if k in extra else k): v for k, v in exposed.items()}
    return make_labels({**labels, **extra, "__name__": name})


@dataclass
class Series:
    labels: Labels
    ts: list[int] = field(default_factory=list)  # milliseconds, strictly increasing
    vs: list[float | None] = field(default_factory=list)  # None is a staleness marker

    def append(self, t_ms: int, value: float | None) -> bool:
        if self.ts and t_ms <= self.ts[-1]:
            return False
        self.ts.append(t_ms)
        self.vs.append(value)
        return True

    def latest(self, t_ms: int, lookback_ms: int) -> tuple[int, float] | None:
        """The newest sample (ms, value) in (t - lookback, t]; None if none or it is stale."""
        i = bisect_right(self.ts, t_ms) - 1
        if i < 0 or self.ts[i] <= t_ms - lookback_ms:
            return None
        value = self.vs[i]
        return None if value is None else (self.ts[i], value)

    def window(self, t_ms: int, range_ms: int) -> list[tuple[int, float]]:
        """The samples in the left-open range (t - range, t], staleness markers left out."""
        lo = bisect_right(self.ts, t_ms - range_ms)
        hi = bisect_right(self.ts, t_ms)
        return [(self.ts[i], v) for i in range(lo, hi) if (v := self.vs[i]) is not None]


class ExpositionError(ValueError):
    """The text is not Prometheus exposition format; nothing from it was stored."""


class TSDB:
    def __init__(self, retention_s: float = 3600.0, lookback_s: float = LOOKBACK_S) -> None:
        if not lookback_s > 0:
            raise ConfigError("lookback_s", f"must be positive, got {lookback_s}")
        if not retention_s >= lookback_s:
            raise ConfigError(
                "retention_s",
                f"{retention_s} s is shorter than the lookback window ({lookback_s} s)",
                fix="keep at least the longest range any rule reads, and 5 minutes",
            )
        self.retention_ms = to_ms(retention_s)
        self.lookback_ms = to_ms(lookback_s)
        self.rejected = 0
        self._by_name: dict[str, dict[Labels, Series]] = {}
        self._targets: dict[Labels, set[Labels]] = {}
        self._newest_ms: int | None = None
        self._pruned_ms: int | None = None

    @property
    def retention_s(self) -> float:
        return self.retention_ms / 1000

    def ingest(self, name: str, labels: Mapping[str, str] | None, value: float, t: float) -> None:
        """Stores one sample pushed directly (no scrape target, so no automatic staleness)."""
        self._append(make_labels({**(labels or {}), "__name__": name}), to_ms(t), float(value))
        self._maybe_prune()

    def ingest_stale(self, name: str, labels: Mapping[str, str] | None, t: float) -> None:
        """Writes a staleness marker: instant selectors stop returning the series from t on."""
        self._append(make_labels({**(labels or {}), "__name__": name}), to_ms(t), None)

    def ingest_exposition(
        self, text: str, t: float, extra_labels: Mapping[str, str] | None = None
    ) -> int:
        """Stores one scrape of `/metrics` at scenario time t; returns the number of samples.

        Sample names are kept exactly as exposed (`x_total`, `x_bucket{le}`, `x_sum`, `x_count`,
        `x_created`); `extra_labels` (e.g. job, instance) are added, and an exposed label of the
        same name is kept as `exported_<name>` (Prometheus's `honor_labels: false`). Exposed
        timestamps are ignored: they are wall-clock, the store is in scenario time. A series the
        previous scrape of this target exposed and this one does not gets a staleness marker.
        `up` is written as 1.
        """
        extra = dict(extra_labels or {})
        try:
            samples = [
                (_scraped_labels(s.name, s.labels, extra), float(s.value))
                for family in text_string_to_metric_families(text)
                for s in family.samples
            ]
        except (ValueError, TypeError, IndexError) as exc:
            raise ExpositionError(f"not Prometheus text exposition format: {exc}") from exc
        t_ms = to_ms(t)
        seen: set[Labels] = set()
        for labels, value in samples:
            self._append(labels, t_ms, value)
            seen.add(labels)
        target = make_labels(extra)
        self._mark_stale(self._targets.get(target, set()) - seen, t_ms)
        self._targets[target] = seen
        self._append(make_labels({**extra, "__name__": "up"}), t_ms, 1.0)
        self._maybe_prune()
        return len(samples)

    def scrape_failed(self, t: float, extra_labels: Mapping[str, str] | None = None) -> None:
        """A scrape of the target failed: its series go stale and `up` is 0, as in Prometheus."""
        target = make_labels(dict(extra_labels or {}))
        self._mark_stale(self._targets.pop(target, set()), to_ms(t))
        self._append(make_labels({**dict(target), "__name__": "up"}), to_ms(t), 0.0)

    def select(self, matchers: Iterable[Matcher], t: float) -> list[tuple[Labels, float]]:
        """Instant vector selector at t: each matching series' latest sample within lookback."""
        return [(labels, value) for labels, _, value in self.select_samples(matchers, t)]

    def select_samples(
        self, matchers: Iterable[Matcher], t: float
    ) -> list[tuple[Labels, int, float]]:
        """As `select`, with each sample's own time in ms (for timestamp())."""
        t_ms = to_ms(t)
        out = []
        for series in self._matching(list(matchers)):
            sample = series.latest(t_ms, self.lookback_ms)
            if sample is not None:
                out.append((series.labels, sample[0], sample[1]))
        return out

    def select_range(
        self, matchers: Iterable[Matcher], t: float, range_s: float
    ) -> list[tuple[Labels, list[tuple[int, float]]]]:
        """Range selector at t: each matching series' samples (ms, value) in (t - range, t]."""
        t_ms, range_ms = to_ms(t), to_ms(range_s)
        out = []
        for series in self._matching(list(matchers)):
            points = series.window(t_ms, range_ms)
            if points:
                out.append((series.labels, points))
        return out

    def series(self) -> list[Series]:
        return [s for by_labels in self._by_name.values() for s in by_labels.values()]

    def prune(self, now: float | None = None) -> None:
        """Drops samples older than the retention window before `now` (default: newest sample)."""
        now_ms = self._newest_ms if now is None else to_ms(now)
        if now_ms is None:
            return
        cutoff = now_ms - self.retention_ms
        for name in list(self._by_name):
            by_labels = self._by_name[name]
            for labels in list(by_labels):
                series = by_labels[labels]
                k = bisect_left(series.ts, cutoff)
                if k:
                    del series.ts[:k], series.vs[:k]
                if not series.ts:
                    del by_labels[labels]
            if not by_labels:
                del self._by_name[name]
        self._pruned_ms = now_ms

    def _append(self, labels: Labels, t_ms: int, value: float | None) -> None:
        name = label_value(labels, "__name__")
        by_labels = self._by_name.setdefault(name, {})
        series = by_labels.get(labels)
        if series is None:
            series = by_labels[labels] = Series(labels)
        if not series.append(t_ms, value):
            self.rejected += 1
            return
        if self._newest_ms is None or t_ms > self._newest_ms:
            self._newest_ms = t_ms

    def _mark_stale(self, gone: Iterable[Labels], t_ms: int) -> None:
        for labels in gone:
            series = self._by_name.get(label_value(labels, "__name__"), {}).get(labels)
            if series is not None and series.vs and series.vs[-1] is not None:
                series.append(t_ms, None)

    def _matching(self, matchers: list[Matcher]) -> Iterable[Series]:
        names = [m.value for m in matchers if m.name == "__name__" and m.op == "="]
        pools = [self._by_name.get(names[0], {})] if names else list(self._by_name.values())
        for pool in pools:
            for labels, series in pool.items():
                if all(m.matches(label_value(labels, m.name)) for m in matchers):
                    yield series

    def _maybe_prune(self) -> None:
        newest = self._newest_ms
        if newest is not None and (
            self._pruned_ms is None or newest - self._pruned_ms >= PRUNE_EVERY_MS
        ):
            self.prune()

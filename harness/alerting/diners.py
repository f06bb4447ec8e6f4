"""The diners' own series: what every run can alert on, whatever the service exports.

    diner_orders_total{job="diners", outcome}              order attempts by outcome
    diner_order_latency_seconds_bucket{job="diners", le}   answered orders' latency, in SCENARIO
    diner_order_latency_seconds_sum / _count               seconds (a 32 s throttle reads 32 s
                                                           at any time scale)

The built-in evaluator ingests `samples()`; the Prometheus backend serves the same series
through `collect()` (a prometheus_client collector), so both see one definition. The outcomes
come from whoever counts them (the runner passes the traffic's OUTCOMES: alerting never
imports the traffic).
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Iterator

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric

BUCKETS_S = (0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
JOB = {"job": "diners"}
NAMES = frozenset(
    {"diner_orders_total"}
    | {f"diner_order_latency_seconds_{part}" for part in ("bucket", "sum", "count")}
)
Sample = tuple[str, dict[str, str], float]  # name, labels, value


class DinerSeries:
    def __init__(self, outcomes: Iterable[str] = ()) -> None:
        self.outcomes: Counter[str] = Counter({o: 0 for o in outcomes})  # each shown from 0
        self.buckets = [0] * (len(BUCKETS_S) + 1)  # per bucket, not cumulative; last: +Inf
        self.latency_sum = 0.0

    def observe(self, outcome: str, latency_st: float | None) -> None:
        """One order attempt; `latency_st` (scenario seconds) when the service answered it."""
        self.outcomes[outcome] += 1
        if latency_st is not None:
            self.buckets[bisect.bisect_left(BUCKETS_S, latency_st)] += 1
            self.latency_sum += latency_st

    def cumulative(self) -> list[tuple[str, int]]:
        """(le, observations at or below it), +Inf last."""
        total, out = 0, []
        for le, count in zip([*map(_le, BUCKETS_S), "+Inf"], self.buckets, strict=True):
            total += count
            out.append((le, total))
        return out

    def samples(self) -> list[Sample]:
        name = "diner_order_latency_seconds"
        out: list[Sample] = [
            ("diner_orders_total", {**JOB, "outcome": o}, float(n))
            for o, n in self.outcomes.items()
        ]
        out += [(f"{name}_bucket", {**JOB, "le": le}, float(n)) for le, n in self.cumulative()]
        out.append((f"{name}_sum", dict(JOB), self.latency_sum))
        out.append((f"{name}_count", dict(JOB), float(sum(self.buckets))))
        return out

    def collect(self) -> Iterator[Metric]:
        orders = CounterMetricFamily(
            "diner_orders", "Order attempts by the harness's diners, by outcome", labels=["outcome"]
        )
        for outcome, count in sorted(self.outcomes.items()):
            orders.add_metric([outcome], float(count))
        yield orders
        latency = HistogramMetricFamily(
            "diner_order_latency_seconds", "Answered orders' latency in scenario seconds"
        )
        buckets = [(le, float(n)) for le, n in self.cumulative()]
        latency.add_metric([], buckets, self.latency_sum)
        yield latency


def _le(bound: float) -> str:
    return repr(bound)  # Prometheus's text: 0.25, 1.0, 60.0

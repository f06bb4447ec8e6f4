"""The service's Prometheus metrics, in a registry of its own (so tests can build several apps).

Orders accepted (stored) and pizzas made (the factory said yes) are separate counters: during a
factory incident the first keeps rising and the second stalls, and the gap is the incident's
impact.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from harness.service.factory_client import FAILURE_KINDS, FactoryCall

# Up to a minute, so the factory's 32 s throttle lands in a bucket of its own.
FACTORY_LATENCY_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 40, 60,
)  # fmt: skip


class PizzaMetrics:
    def __init__(self, time_scale: float = 1.0) -> None:
        # A compressed run (time_scale 60) reports durations in scenario seconds, so a rule
        # written for a real 32 s throttle sees 32 s, not the 0.53 s the run really waited.
        self.time_scale = time_scale
        self.registry = CollectorRegistry()
        reg = self.registry
        self.http_requests = Counter(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            ["method", "route", "status"],
            registry=reg,
        )
        self.orders = Counter(
            "pizza_orders", "Diner orders accepted (stored before the factory call)", registry=reg
        )
        self.pizzas_made = Counter(
            "pizzas_made", "Pizzas (order items) the factory made", registry=reg
        )
        self.revenue = Counter(
            "pizza_revenue", "Sum of the prices of the pizzas the factory made", registry=reg
        )
        self.factory_failures = Counter(
            "pizza_factory_failures",
            "Factory calls that did not make the pizzas, by kind",
            ["kind"],
            registry=reg,
        )
        self.factory_latency = Histogram(
            "pizza_factory_latency_seconds",
            "Duration of factory calls, successful or not",
            buckets=FACTORY_LATENCY_BUCKETS,
            registry=reg,
        )
        self.report_urls = Counter(
            "pizza_factory_report_urls",
            "Factory answers that carried a reportUrl",
            registry=reg,
        )
        for kind in FAILURE_KINDS:  # every kind shows, at 0, before its first failure
            self.factory_failures.labels(kind=kind)

    def request(self, method: str, route: str, status: int) -> None:
        self.http_requests.labels(method=method, route=route, status=str(status)).inc()

    def factory_call(self, call: FactoryCall, prices: list[float]) -> None:
        """Counts one factory call for an order whose pizzas cost `prices`."""
        self.factory_latency.observe(call.duration_s * self.time_scale)
        if call.report_url is not None:
            self.report_urls.inc()
        if call.failure is not None:
            self.factory_failures.labels(kind=call.failure).inc()
            return
        self.pizzas_made.inc(len(prices))
        self.revenue.inc(sum(p for p in prices if p > 0))  # a counter never goes down

    def exposition(self) -> bytes:
        return generate_latest(self.registry)

"""How fast a run may go against a team's real service (`time_scale: auto`).

A real service lives in wall time: it pushes its metrics every second or so and measures
durations with a wall clock. Compressing a scenario 60x makes a 1 s push one sample per scenario
minute (`increase(x[1m])` never sees two points) and turns the throttle's 32 s into 0.53 s (a
"latency > 5 s" rule never fires). So the scale is bounded by each rule:

- pushed metrics: every rule's shortest range must still hold 3 pushes:
  scale <= range / (3 x push interval);
- scraped metrics: our scrapes stay at least MIN_SCRAPE_WALL_S apart in wall time;
- a threshold on a duration the service measures (a metric named like latency/duration/
  seconds/milliseconds, not the diners' own series) must still be crossed by the compressed
  throttle delay, twice over: scale <= delay / (2 x threshold).

Pure functions of the scenario: `limits` lists every bound, `auto_scale` picks the highest scale
they allow, `check_scale` refuses an explicit scale that breaks one, naming the rule.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.errors import ConfigError

if TYPE_CHECKING:
    from harness.alerting.nodes import Node
    from harness.scenario import Scenario

AUTO_CAP = 60.0  # the demo's scale: faster buys little and costs accuracy
MIN_SCRAPE_WALL_S = 0.2
SAMPLES_IN_RANGE = 3
DURATION_NAME = re.compile(r"latency|duration|_seconds|millisecond|_ms(_|$)")


@dataclass(frozen=True)
class ScaleLimit:
    scale: float
    rule: str  # the alert rule that sets it ("" for a limit of the setup)
    why: str


def limits(scenario: Scenario, push_interval_s: float | None = None) -> list[ScaleLimit]:
    """Every bound the scenario's rules and telemetry put on the time scale."""
    from harness.alerting.rules import every_rule

    alerting, service = scenario.alerting, scenario.service
    out: list[ScaleLimit] = []
    if service.metrics == "scrape":
        most = alerting.scrape_interval / MIN_SCRAPE_WALL_S
        why = f"scrapes every {alerting.scrape_interval:g} s stay {MIN_SCRAPE_WALL_S} s apart"
        out.append(ScaleLimit(most, "", why))
    push = push_interval_s or service.push_interval
    for rule in every_rule(alerting.rules):
        out += _rule_limits(rule.name, rule.expr, scenario, push)
    return out


def _rule_limits(name: str, expr: Node, scenario: Scenario, push_s: float) -> list[ScaleLimit]:
    from harness.alerting.nodes import metric_names, min_range_s

    out = []
    shortest = min_range_s(expr)
    pushed = scenario.service.metrics == "push" and not _diners_only(metric_names(expr))
    if pushed and shortest is not None:
        most = shortest / (SAMPLES_IN_RANGE * push_s)
        why = f"its [{shortest:g}s] range must hold {SAMPLES_IN_RANGE} pushes {push_s:g} s apart"
        out.append(ScaleLimit(most, name, why))
    for threshold_s, metric in duration_thresholds(expr):
        for delay, kind in injected_delays(scenario):
            most = delay / (2 * threshold_s)
            why = (
                f"{metric} is measured by the service in wall time: the {delay:g} s {kind} "
                f"must still read over twice its {threshold_s:g} s threshold"
            )
            out.append(ScaleLimit(most, name, why))
    return out


def injected_delays(scenario: Scenario) -> list[tuple[float, str]]:
    """(seconds, kind) of each fault that slows orders down: the throttle's wait, a latency
    fault's fixed part (or lognormal median)."""
    out = []
    for fault in scenario.chaos:
        if fault.kind == "throttle":
            out.append((scenario.order_delay, "throttle"))
        elif fault.kind == "latency":
            ms = fault.settings.get("fixed_ms") or fault.settings.get("lognormal_median_ms")
            out += [(float(ms) / 1000, "latency")] if ms else []
    return out


def _diners_only(names: set[str]) -> bool:
    return bool(names) and all(n.startswith("diner_") for n in names)


def duration_thresholds(expr: Node) -> list[tuple[float, str]]:
    """(threshold in seconds, metric) of each comparison of a service-measured duration with a
    number: `pizza_creation_latency_milliseconds > 5000` is (5.0, ...)."""
    from harness.alerting.nodes import COMPARISONS, Binary, Number, metric_names, walk

    found = []
    for node in walk(expr):
        if not isinstance(node, Binary) or node.op not in COMPARISONS:
            continue
        for side, other in ((node.lhs, node.rhs), (node.rhs, node.lhs)):
            if not isinstance(other, Number) or other.value <= 0:
                continue
            for metric in sorted(metric_names(side)):
                if DURATION_NAME.search(metric) and not metric.startswith("diner_"):
                    per_s = 1000.0 if re.search(r"millisecond|_ms(_|$)", metric) else 1.0
                    found.append((other.value / per_s, metric))
    return found


def auto_scale(scenario: Scenario, cap: float, push_interval_s: float | None = None) -> ScaleLimit:
    """The highest whole scale (at least 1, at most `cap`) every limit allows."""
    tightest = min(limits(scenario, push_interval_s), key=lambda lim: lim.scale, default=None)
    if tightest is None or tightest.scale >= cap:
        return ScaleLimit(cap, "", f"no rule limits it below the cap of {cap:g}x")
    return ScaleLimit(max(1.0, math.floor(tightest.scale)), tightest.rule, tightest.why)


def wall_load(scenario: Scenario) -> str:
    """What the compressed traffic asks of a team's service in wall time: thinking diners at
    60x send 60 times their real-time orders (300 diners: the orders of 18,000)."""
    traffic, scale = scenario.traffic, scenario.time_scale
    mean = sum(traffic.think_time) / 2
    if mean <= 0:
        return f"load: {traffic.diners} diners without pauses, as fast as the service answers"
    rate = traffic.diners / mean * scale
    low, high = (f"{t:g}" for t in traffic.think_time)
    return (
        f"load at {scale:g}x: {traffic.diners} diners thinking {low}-{high} s send about "
        f"{rate:,.1f} orders/s of wall time, what {traffic.diners * scale:,.0f} diners send in "
        f"real time; a service that cannot keep up times out orders before the chaos starts"
    )


def check_scale(scenario: Scenario, scale: float, push_interval_s: float | None = None) -> None:
    """ConfigError (exit 2) when `scale` breaks a rule, naming it and the largest scale that
    works."""
    for limit in limits(scenario, push_interval_s):
        if scale > limit.scale:
            who = f"rule {limit.rule!r}" if limit.rule else "the setup"
            best = max(1.0, math.floor(limit.scale))
            raise ConfigError(
                "time_scale",
                f"{scale:g}x breaks {who}: {limit.why}; the largest scale that works is {best:g}x",
                fix=f"use --time-scale {best:g} (or time_scale: auto), or change the rule",
            )

"""The warm-up, before the diners: does the team's service send what the rules read?

Every metric name a rule selects is looked for in what the service exposes (`GET /metrics`) or
pushes to the inbox, plus the diners' own series. A missing one is reported with the closest
names the service does send ("did you mean `pizza_creation_failures_total`?") on stderr and as
a timeline event (the post-mortem quotes it); so are a failed scrape, no push at all, and a
push cadence slower than the time scale assumed. The run goes on: the gate then says what it
measured, and the post-mortem says why an alert could not fire.
"""

from __future__ import annotations

import difflib
import math
import sys
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from harness.alerting.diners import NAMES as DINER_SERIES
from harness.alerting.nodes import metric_names
from harness.alerting.rules import every_rule
from harness.runner.inbox import Inbox
from harness.scenario import Scenario
from harness.timeline import TelemetryProblem

PUSH_WAIT_S = 5.0  # wall seconds to wait for two pushes (a course-style service pushes each 1 s)


def warm_up(
    scenario: Scenario, service_url: str, inbox: Inbox | None, canary_s: float = 0.0
) -> list[TelemetryProblem]:
    """The problems found (also printed on stderr); empty when every rule's metrics arrive
    and the canary order (`canary_s` wall seconds) is fast enough for the time scale."""
    problems = too_slow_for_scale(scenario, canary_s)
    if scenario.alerting.rules and service_metrics(scenario):  # else: the diners' series only
        if scenario.service.metrics == "push" and inbox is not None:
            sent, found = pushed_names(scenario, inbox)
        else:
            sent, found = scraped_names(service_url)
        problems += found + missing(scenario, sent)
    for problem in problems:
        print(f"warm-up: WARNING {problem.detail}", file=sys.stderr, flush=True)
    return problems


def too_slow_for_scale(scenario: Scenario, canary_s: float) -> list[TelemetryProblem]:
    """A real service's ordinary order, compressed: 150 ms at 60x reads 9 s to the diners."""
    scale, slow_after = scenario.time_scale, scenario.traffic.slow_after
    if canary_s * scale <= slow_after / 2:
        return []
    best = max(1, math.floor(slow_after / (2 * canary_s)))
    detail = (
        f"an ordinary order took {canary_s * 1000:.0f} ms of wall time, {canary_s * scale:.1f} s "
        f"of scenario time at {scale:g}x: close to traffic.slow_after ({slow_after:g} s), so "
        f"diners will count ordinary orders slow; use --time-scale {best} or less"
    )
    return [TelemetryProblem(problem="time_scale", detail=detail)]


def service_metrics(scenario: Scenario) -> set[str]:
    """The metric names the rules read that only the service can send."""
    rules = every_rule(scenario.alerting.rules)
    return {n for r in rules for n in metric_names(r.expr)} - diner_names()


def diner_names() -> set[str]:
    return set(DINER_SERIES)


def scraped_names(service_url: str) -> tuple[set[str], list[TelemetryProblem]]:
    url = f"{service_url}/metrics"
    try:
        answer = httpx.get(url, timeout=10)
        answer.raise_for_status()
        families = list(text_string_to_metric_families(answer.text))
    except (httpx.HTTPError, ValueError) as exc:
        detail = (
            f"scraping {url} failed ({_why(exc)}): rules on the service's own metrics cannot "
            "fire; use --metrics push if it pushes them, or rules on the diners' series"
        )
        return set(), [TelemetryProblem(problem="scrape_failed", detail=detail)]
    return {s.name for f in families for s in f.samples}, []


def _why(exc: Exception) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    return f"{type(exc).__name__}: {exc}"[:200]


def pushed_names(scenario: Scenario, inbox: Inbox) -> tuple[set[str], list[TelemetryProblem]]:
    """What arrived within PUSH_WAIT_S (waiting for a cadence to show), and its problems."""
    deadline = time.monotonic() + max(PUSH_WAIT_S, 2.5 * scenario.service.push_interval)
    while inbox.samples.interval_s() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    names, cadence = set(inbox.samples.names), inbox.samples.interval_s()
    if not names:
        detail = (
            f"no metrics were pushed to the inbox ({inbox.url}/v1/metrics, OTLP JSON) within "
            f"{PUSH_WAIT_S:g} s: point the service's metrics endpointUrl at it"
        )
        return names, [TelemetryProblem(problem="no_push", detail=detail)]
    assumed = scenario.service.push_interval
    if cadence is not None and cadence > 1.5 * assumed:
        detail = (
            f"the service pushes every {cadence:.1f} s, not every {assumed:g} s "
            f"(service.push_interval): rules on its metrics see fewer samples than the time "
            f"scale assumed; set service.push_interval: {cadence:.0f}s"
        )
        return names, [TelemetryProblem(problem="time_scale", detail=detail)]
    return names, []


def missing(scenario: Scenario, sent: set[str]) -> list[TelemetryProblem]:
    """One event per (rule, metric) the rules read that neither the service nor the diners send."""
    known = sent | diner_names()
    out = []
    for rule in every_rule(scenario.alerting.rules):
        for metric in sorted(metric_names(rule.expr) - known):
            out.append(metric_missing(rule.name, metric, sent))
    return out


def metric_missing(alertname: str, metric: str, sent: set[str]) -> TelemetryProblem:
    close = difflib.get_close_matches(metric, sorted(sent), n=3, cutoff=0.5)
    hint = (
        f"did you mean {', '.join(f'`{c}`' for c in close)}?"
        if close
        else ("it sends none like it" if sent else "it sends no metrics at all")
    )
    detail = (
        f"rule {alertname!r} reads `{metric}`, which the service never sent: {hint} "
        "(or gate on the diners' series, diner_orders_total and diner_order_latency_seconds)"
    )
    return TelemetryProblem(
        problem="metric_missing",
        detail=detail,
        alertname=alertname,
        metric=metric,
        suggestions=close,
    )

"""The phase that always runs: stop the diners, settle the order accounting against the service's
own counters, clear the chaos, and read the factory's last transitions."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import httpx
from prometheus_client.parser import text_string_to_metric_families

from harness.alerting.syntax import selector_matchers
from harness.procs import ProcessGroup
from harness.runner.stack import FactoryControl, Stack
from harness.timeline import Accounting, Order, Timeline

if TYPE_CHECKING:
    from harness.runner.loop import RunLoop


def rollback(group: ProcessGroup, stack: Stack, timeline: Timeline, loop: RunLoop | None) -> None:
    FactoryControl(stack).clear()  # first: chaos must not outlive the run, whatever follows
    traffic = next((m for m in group.members if m.name == "traffic"), None)
    if traffic is not None:
        # SIGTERM: the diners finish in-flight orders and write their summary; the traffic
        # supervisor itself escalates to Locust after shutdown_grace_s, so wait twice that.
        traffic.stop(grace_s=2 * stack.traffic_grace_s + 5)
    if loop is None:
        return  # nothing ran: nothing to account for
    counted = loop.settle()
    state, counter = loop.state, loop.scenario.service.order_counter
    timeline.add(account(stack, timeline, counted, state.probes, state.orders_before, counter))


def service_order_count(stack: Stack, counter: str) -> int | None:
    """`POST /api/order` requests the service answered, from its own /metrics: the sum of the
    `counter` series (`service.order_counter`); None when it has no such series."""
    matchers = selector_matchers(counter, "service.order_counter")
    try:
        answer = httpx.get(f"{stack.service_url}/metrics", timeout=5)
        answer.raise_for_status()
        families = list(text_string_to_metric_families(answer.text))
    except (httpx.HTTPError, ValueError):
        return None  # no counter to compare with: said so in the accounting event
    total, matched = 0.0, False
    for family in families:
        for sample in family.samples:
            labels = {"__name__": sample.name, **sample.labels}
            if all(m.matches(labels.get(m.name, "")) for m in matchers):
                total += sample.value
                matched = True
    return int(total) if matched else None  # no such series: "no service counter"


def account(
    stack: Stack,
    timeline: Timeline,
    service_orders: int | None,
    probes: int,
    orders_before: int | None = 0,
    counter: str = "",
) -> Accounting:
    """attempts = sum of outcomes = order events, and the service saw every answered one (and,
    when we know what it had counted before the run, no more than were attempted)."""
    orders = [e for e in timeline.events if isinstance(e, Order)]
    try:
        summary = json.loads(stack.traffic_summary.read_text())
    except (OSError, ValueError):
        return Accounting(
            attempts=len(orders),
            outcomes={},
            service_orders=service_orders,
            consistent=False,
            detail="the traffic wrote no summary",
        )
    attempts, outcomes = int(summary["attempts"]), dict(summary["outcomes"])
    answered = sum(1 for o in orders if o.status is not None)
    problems = []
    if attempts != sum(outcomes.values()) or attempts != len(orders):
        problems.append(
            f"traffic counted {attempts} attempts, {sum(outcomes.values())} outcomes, "
            f"the timeline has {len(orders)} orders"
        )
    most = attempts if orders_before is not None else float("inf")  # unknown start: >= only
    if service_orders is not None and not answered <= service_orders - probes <= most:
        problems.append(
            f"the service answered {service_orders - probes} diner orders, "
            f"the diners got {answered} answers of {attempts} attempts"
        )
    return Accounting(
        attempts=attempts,
        outcomes=outcomes,
        service_orders=service_orders,
        consistent=not problems,
        detail="; ".join(problems) or _counted(service_orders, counter),
    )


def _counted(service_orders: int | None, counter: str) -> str:
    if service_orders is not None:
        return "all orders counted"
    return (
        f"the diners' orders add up; no service counter ({counter or 'none'} never arrived), so "
        "the service's side was not checked (set service.order_counter to your counter)"
    )

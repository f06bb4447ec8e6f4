"""The post-mortem's sections, in the seed document's order, filled from the run's facts.

Measured statements are written out; what only people can know is marked TEAM.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from harness.durations import format_duration, signed_duration
from harness.report.charts import LOGERRORS, TIMECHART
from harness.report.document import Block
from harness.report.facts import Facts, action_text, clock
from harness.report.series import mmss

TEAM = "_(to be written by the team)_"


def dur(seconds: float) -> str:
    return ("-" if seconds < 0 else "") + format_duration(abs(seconds))


def at(facts: Facts, event: Any) -> str:
    """A moment, written one way everywhere in the text: scenario time as on the chart's axis
    (`3:30`); the Timeline table gives each milestone's other forms (after chaos, wall, UTC)."""
    return mmss(event.st)


def gap(a: Any, b: Any) -> str:
    """A span of scenario time: `1m30s`."""
    return dur(b.st - a.st)


def build(facts: Facts) -> list[Block]:
    """Title to the measured gaps; `banner` goes under the title, `advice` adds Prevention and
    Action items."""
    blocks: list[Block] = [("h1", title(facts))]
    blocks += summary(facts) + detection(facts) + impact(facts) + timeline(facts)
    blocks += response(facts) + root_cause(facts) + resolution(facts) + gaps(facts)
    return blocks


def title(facts: Facts) -> str:
    if facts.started is None:
        return f"Incident: {facts.scenario}"
    day = datetime.fromtimestamp(facts.started.t, UTC).strftime("%Y-%m-%d")
    return f"Incident: {day} {clock(facts.started.t)[:8]} UTC, scenario `{facts.scenario}`"


def summary(facts: Facts) -> list[Block]:
    scale = (
        f"times are scenario time (m:ss), which runs {facts.time_scale:g}x faster than wall time"
    )
    what, hurt = facts.injected(), facts.impact_words()
    if facts.chaos is None:
        text = (
            f"The injected faults ({what}) never affected an order during this run; "
            f"{hurt} ({scale})."
        )
    elif facts.recovered is None:
        text = (
            f"The pizza factory was degraded ({what}) from {at(facts, facts.chaos)} and the run "
            "**never** recovered from it: the harness cleared the faults at the rollback. "
            f"{hurt[0].upper()}{hurt[1:]} ({scale})."
        )
    else:
        text = (
            f"The pizza factory was degraded ({what}) for {gap(facts.chaos, facts.recovered)}, "
            f"from {at(facts, facts.chaos)} to the confirmed recovery at "
            f"{at(facts, facts.recovered)}; {hurt} ({scale})."
        )
    return [("h2", "Summary"), ("p", text)]


def detection(facts: Facts) -> list[Block]:
    blocks: list[Block] = [("h2", "Detection")]
    alert = facts.firing or facts.pending
    noticed = [f"{e.detail}." for e in facts.telemetry]
    if alert is None:
        said = ("p", "No alert went pending or fired after the chaos started.")
        return [*blocks, said, *([("ul", noticed)] if noticed else [])]
    labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()) if k != "alertname")
    items = [f"Rule: `{alert.alertname}`" + (f" ({labels})" if labels else "") + rule_text(facts)]
    if facts.pending is not None:
        items.append(f"Pending: {at(facts, facts.pending)}, value {facts.pending.value:.2f}")
    items.append(
        "Firing: "
        + (at(facts, facts.firing) if facts.firing else "never")
        + (f", value {facts.firing.value:.2f}" if facts.firing and facts.firing.value else "")
    )
    items += grafana_states(facts, alert.alertname)
    items.append(
        f"Paged: {facts.notified.who} at {at(facts, facts.notified)}"
        if facts.notified
        else "Paged: nobody was notified"
    )
    items.append(
        f"Acknowledged: by {facts.acknowledged.who} at {at(facts, facts.acknowledged)}"
        if facts.acknowledged
        else "Acknowledged: never"
    )
    return [*blocks, ("ul", items + noticed)]


def grafana_states(facts: Facts, alertname: str) -> list[str]:
    """A Grafana rule's own states after the chaos (Recovering is firing, so not a change here)."""
    seen = [facts.pending, facts.firing, facts.resolved]
    states = [e for e in seen if e is not None and e.alertname == alertname and e.grafana_state]
    if not states:
        return []
    return ["Grafana states: " + ", ".join(f"{e.grafana_state} at {at(facts, e)}" for e in states)]


def rule_text(facts: Facts) -> str:
    """`: `expr` for 1m (keeps firing 2m)` of the alert's rule, when the run recorded it."""
    alert = facts.firing or facts.pending
    rule = facts.rule(alert.alertname) if alert else None
    if rule is None:
        return ""
    text = f": `{rule.expr}` held for {dur(rule.for_s)}"
    return text + (f", kept firing {dur(rule.keep_firing_for_s)}" if rule.keep_firing_for_s else "")


def impact(facts: Facts) -> list[Block]:
    blocks: list[Block] = [("h2", "Impact")]
    slow = [o for o in facts.orders if o.outcome == "slow"]
    rows = [[k, v] for k, v in sorted(facts.outcomes.items())]
    table = ("table", ["outcome", "orders"], rows)
    if facts.first_failure is None:
        p95 = "" if facts.p95_s is None else f", p95 {facts.p95_s:.1f} s during the incident"
        text = "No order failed; none was slow."
        if slow:  # a throttle: nothing failed, and the diners waited
            text = (
                f"No order failed, but **{len(slow)} orders were slow** out of "
                f"{len(facts.orders)} (answered late between {at(facts, slow[0])} and "
                f"{at(facts, slow[-1])}{p95}); the latency panel of the time chart shows how late."
            )
        return [*blocks, ("p", text), table]  # no failed-orders chart: it would be empty
    first, last = facts.first_failure, facts.last_failure
    diners = len({o.diner for o in facts.orders})
    text = (
        f"For {gap(first, last)}, between {at(facts, first)} and {at(facts, last)}, diners' "
        f"orders failed: **{facts.failed} failed orders** out of {len(facts.orders)}, affecting "
        f"**{facts.diners_affected} distinct diners** of {diners}."
    )
    if slow:
        text += f" {len(slow)} more were slow."
    return [*blocks, ("p", text), table, ("img", "failed orders", LOGERRORS)]


def timeline(facts: Facts) -> list[Block]:
    rows = []
    for row in facts.rows:
        since = row["since_chaos_s"]
        after = "-" if since is None else signed_duration(since)
        rows.append(
            [
                row["milestone"],
                mmss(row["scenario_s"]),
                after,
                f"{row['wall_s']:.2f} s",
                row["clock"],
            ]
        )
    return [
        ("h2", "Timeline"),
        ("img", "orders over time", TIMECHART),
        (
            "p",
            "Bands: the chaos and the alert pending and firing; dashed lines: the other "
            f"milestones. Scenario time runs {facts.time_scale:g}x faster than wall time; wall "
            "is seconds since the run started; clock times are UTC.",
        ),
        ("table", ["event", "scenario (m:ss)", "after chaos start", "wall", "clock (UTC)"], rows),
    ]


def response(facts: Facts) -> list[Block]:
    items = []
    if facts.notified is not None:
        since = (
            f", {gap(facts.firing, facts.notified)} after the alert fired" if facts.firing else ""
        )
        items.append(f"{facts.notified.who} was paged at {at(facts, facts.notified)}{since}.")
    if facts.acknowledged is not None:
        since = (
            f", {gap(facts.notified, facts.acknowledged)} after the page" if facts.notified else ""
        )
        items.append(
            f"{facts.acknowledged.who} acknowledged at {at(facts, facts.acknowledged)}{since}."
        )
    for call in facts.reports:
        items.append(
            f"{call.who} called the report URL at {at(facts, call)}: {call.outcome} "
            f'(HTTP {call.status}, "{call.message}").'
        )
    for refused in facts.refusals:
        items.append(f"A report URL was refused at {at(facts, refused)}: {refused.reason}.")
    for action in facts.actions:
        items.append(f"{action.who} ran {action_text(action)} at {at(facts, action)}.")
    if not items:
        items.append("Nobody was paged and no report URL was called.")
    return [("h2", "Response"), ("ul", [*items, f"What people did and found: {TEAM}"])]


def root_cause(facts: Facts) -> list[Block]:
    if facts.chaos is None:
        shown = "No injected failure reached an order in this run."
    else:
        shown = (
            f"The harness injected {facts.injected()}; the first order felt it at "
            f"{at(facts, facts.chaos)}."
        )
    return [("h2", "Root cause"), ("p", shown), ("p", f"Why the factory failed: {TEAM}")]


def resolution(facts: Facts) -> list[Block]:
    blocks: list[Block] = [("h2", "Resolution")]
    resolved = [c for c in facts.reports if c.outcome == "resolved"]
    if resolved:
        call = resolved[0]
        text = (
            f"The report URL `{call.url}` was called by {call.who} at {at(facts, call)}; "
            f'the factory answered HTTP {call.status}: "{call.message}".'
        )
    elif facts.reports:
        text = "The report URL was called but did not resolve the incident; see Response."
    elif not facts.episode:
        text = "No report URL to call: " + (
            f"the faults ended by themselves at {at(facts, facts.chaos_ended)}."
            if facts.chaos_ended is not None
            else "the harness removed the faults at the rollback."
        )
    else:
        text = "The report URL was **never** called."
    if facts.recovered is not None:
        text += f" Recovery was confirmed at {at(facts, facts.recovered)} ({facts.recovered.how})."
    else:
        text += " The service **never** recovered during the run."
    return [*blocks, ("p", text)]


def gaps(facts: Facts) -> list[Block]:
    rows = [
        [
            f"`{c.name}`",
            "pass" if c.passed else "**FAIL**",
            "-" if c.measured is None else f"{c.measured:g}",
            "-" if c.limit is None else f"{c.limit:g}",
            c.detail,
        ]
        for c in facts.checks
    ]
    if not rows:
        return [("h2", "Measured against the expectations"), ("p", "No expectation was checked.")]
    return [
        ("h2", "Measured against the expectations"),
        ("table", ["expectation", "result", "measured", "limit", "detail"], rows),
    ]

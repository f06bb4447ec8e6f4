"""Prevention and action items, pre-filled with what the run measured (detection delay, paging
delay, failed expectations) and marked where the team must write."""

from __future__ import annotations

from harness.report.document import Block
from harness.report.facts import Facts
from harness.report.sections import TEAM, dur, gap


def findings(facts: Facts) -> list[str]:
    """What the run shows about detection and response, in one sentence each."""
    out = []
    if facts.first_failure is not None and facts.firing is not None:
        text = f"The alert fired {gap(facts.first_failure, facts.firing)} after the first failure"
        if facts.pending is not None:
            text += (
                f"; it went pending {gap(facts.first_failure, facts.pending)} after it, at value "
                f"{facts.pending.value or 0:.2f}, and was held {gap(facts.pending, facts.firing)} "
                "in pending by the rule's `for`"
            )
        rule = facts.rule(facts.firing.alertname)
        if rule is not None:
            text += f"; the rule needs `{rule.expr}` to hold for {dur(rule.for_s)}"
        out.append(text + ".")
    elif facts.first_failure is not None:
        rules = "; ".join(f"`{r.alertname}`: `{r.expr}` for {dur(r.for_s)}" for r in facts.rules)
        out.append(
            "No alert fired although orders failed: the alert rules missed the incident"
            + (f" ({rules})." if rules else ".")
        )
    if facts.firing is not None and facts.notified is not None:
        out.append(f"The page went out {gap(facts.firing, facts.notified)} after the alert fired.")
    if facts.firing is not None and facts.recovered is None:
        out.append("The alert fired but nothing resolved the incident (no report URL was called).")
    for check in facts.checks:
        if not check.passed:
            out.append(f"Expectation `{check.name}` failed: {check.detail}.")
    return out


def prevention(facts: Facts) -> list[Block]:
    return [("h2", "Prevention"), ("ul", [*findings(facts), f"How to prevent it: {TEAM}"])]


def action_items(facts: Facts) -> list[Block]:
    items = [
        f"Bring `{c.name}` within its limit ({c.detail})." for c in facts.checks if not c.passed
    ]
    reported = any(c.who == "auto-reporter" for c in facts.reports)
    if facts.chaos is not None and facts.episode and not reported:
        items.append("Automate the report-URL call when the alert fires (the auto-reporter).")
    if facts.status == "passed":
        items.append("Keep this scenario in CI as a resilience gate.")
    return [("h2", "Action items"), ("ol", [*items, TEAM])]

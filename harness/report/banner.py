"""The verdict banner at the top of a post-mortem: PASSED or FAILED and the run's key times, so a
reader knows the outcome before the first section."""

from __future__ import annotations

from harness.report.document import Block
from harness.report.facts import Facts
from harness.report.sections import dur
from harness.report.series import CLASS_OF, mmss


def key_times(facts: Facts) -> list[str]:
    """`chaos 2:00`, `alert firing 3:30 (+1m30s)`, ...: each milestone reached, once."""
    found = [
        ("chaos", facts.chaos),
        ("alert firing", facts.firing),
        ("paged", facts.notified),
        ("chaos ended", facts.chaos_ended),
        ("recovered", facts.recovered),
    ]
    out = []
    for name, event in sorted((f for f in found if f[1] is not None), key=lambda f: f[1].st):
        since = facts.since_chaos(event)
        after = f" (+{dur(since)})" if since is not None and event is not facts.chaos else ""
        out.append(f"{name} {mmss(event.st)}{after}")
    if facts.chaos is not None and facts.firing is None:
        out.append("the alert **never** fired")
    if facts.chaos is not None and facts.recovered is None:
        out.append("**never** recovered")
    return out


def felt(facts: Facts) -> str:
    """`18 orders: 12 ok, 0 slow, 0 bad pizza, 6 failed`."""
    classes = {"ok": 0, "slow": 0, "bad pizza": 0, "failed": 0}
    for outcome, count in facts.outcomes.items():
        classes[CLASS_OF.get(outcome, "failed")] += count
    parts = ", ".join(f"{count} {name}" for name, count in classes.items())
    return f"{len(facts.orders)} orders: {parts}"


def banner(facts: Facts) -> Block:
    code = "no exit code" if facts.exit_code is None else f"exit {facts.exit_code}"
    why = f"{facts.reason}. " if facts.status != "passed" and facts.reason else ""
    times = "; ".join(key_times(facts))
    text = f"{why}{times + '. ' if times else ''}{felt(facts)}."
    return ("banner", facts.status, f"**This run {facts.status.upper()}** ({code}): {text}")

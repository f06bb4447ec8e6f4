"""Scenario durations -> the wall durations a real Prometheus and Alertmanager run with.

A scenario is written in real units and runs `time_scale` times faster; the engines run in wall
time, so every duration they see is divided by the time scale and rounded to whole milliseconds
(Prometheus's and Alertmanager's resolution): the scrape and evaluation intervals, the rules'
`for` and `keep_firing_for`, the rule groups' `interval`, the range and `offset` durations inside
`expr` (`[1m]` -> `[1s]`), and the notification policy. The rules stay the same: the same
expressions and thresholds, with durations divided by the time scale.

Where a scaled duration falls below what the engines do well (FLOORS, wall seconds), the floor
is used instead and a warning names the field, the scaled value and the value used.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

import promql_parser as pp

from harness.alerting.rules import parse_duration
from harness.durations import UNITS, prometheus_duration

# Wall-clock floors (seconds). Scrapes and rule evaluations closer than 100 ms apart are at the
# mercy of scheduling jitter on a shared 2-core machine (tens of ms), and Alertmanager's group
# timers and Prometheus's notifier resend are timers of the same kind.
FLOORS = {
    "scrape_interval": 0.1,
    "evaluation_interval": 0.1,
    "group_interval": 0.1,
    "repeat_interval": 0.1,
    "resend_delay": 0.1,
}
PROMETHEUS_RESEND_DELAY_S = 60.0  # --rules.alert.resend-delay default, scenario units
PROMETHEUS_LOOKBACK_S = 300.0  # --query.lookback-delta default
ALERTMANAGER_RESOLVE_TIMEOUT_S = 300.0  # global.resolve_timeout default


def prom_duration(seconds: float) -> str:
    """Seconds -> Prometheus duration text in whole ms (`1.5` -> `1s500ms`, `0` -> `0s`)."""
    ms = round(seconds * 1000)
    if ms <= 0:
        return "0s"
    out = ""
    for unit, size in UNITS:
        n, ms = divmod(ms, round(size * 1000))
        out += f"{n}{unit}" if n else ""
    return out


@dataclass
class Scaler:
    """Divides scenario durations by `time_scale`; collects floor warnings as it goes."""

    time_scale: float
    warnings: list[str] = field(default_factory=list)

    def wall(self, scenario_s: float, what: str, floor_key: str | None = None) -> float:
        """Wall seconds (whole ms, at least 1 ms when non-zero), raised to the floor if any."""
        scaled = scenario_s / self.time_scale
        wall = 0.0 if scaled <= 0 else max(round(scaled * 1000), 1) / 1000
        floor = FLOORS.get(floor_key or what, 0.0)
        if 0 < wall < floor or (scenario_s > 0 and wall == 0.0 and floor):
            self.warnings.append(
                f"{what}: {prom_duration(scenario_s)} at {self.time_scale:g}x is "
                f"{scaled * 1000:.3g} ms of wall time, below the engines' floor; "
                f"using {prom_duration(floor)} ({floor * self.time_scale:g} s of scenario time)"
            )
            return floor
        return wall

    def text(self, scenario_s: float, what: str, floor_key: str | None = None) -> str:
        return prom_duration(self.wall(scenario_s, what, floor_key))


# Durations in PromQL: inside [...] (ranges, subqueries `[5m:30s]`) and after `offset`.
_STRING = r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`'
_DUR = r"(?:\d+(?:ms|[smhdwy]))+"
_TOKENS = re.compile(
    rf"(?P<str>{_STRING})"
    rf"|(?P<range>\[\s*(?P<r1>{_DUR})\s*(?::\s*(?P<r2>{_DUR})?\s*)?\])"
    rf"|(?P<offset>\boffset\s+(?P<neg>-?)\s*(?P<o>{_DUR}))",
    re.IGNORECASE,
)


def scale_expr(expr: str, scale: float) -> str:
    """`expr` with every range, subquery and offset duration divided by `scale`; everything
    else (selectors, strings, numbers, spacing) is kept byte for byte."""

    def one(text: str) -> str:
        seconds = prometheus_duration(text)
        assert seconds is not None  # the pattern only matches durations
        return prom_duration(seconds / scale) if seconds else "0s"

    def replace(m: re.Match[str]) -> str:
        if m.group("str"):
            return m.group(0)
        if m.group("range"):
            step = m.group("r2")
            colon = ":" in m.group("range")
            return f"[{one(m.group('r1'))}{':' if colon else ''}{one(step) if step else ''}]"
        return f"offset {m.group('neg')}{one(m.group('o'))}"

    out = _TOKENS.sub(replace, expr)
    pp.parse(out)  # the rewrite must still be PromQL (ValueError otherwise: a bug here)
    return out


def ranges_s(expr: str) -> list[float]:
    """The range durations of an expression's selectors and subqueries, in seconds."""
    return [
        prometheus_duration(m.group("r1")) or 0.0
        for m in _TOKENS.finditer(expr)
        if m.group("range")
    ]


def rule_groups(rules: Any, name: str = "default") -> dict[str, Any]:
    """The scenario's `alerting.rules` as a Prometheus rule file document (`groups: [...]`)."""
    if isinstance(rules, list):
        return {"groups": [{"name": name, "rules": copy.deepcopy(rules)}]}
    return copy.deepcopy(dict(rules))


def scale_rules(doc: dict[str, Any], scaler: Scaler, scrape_wall_s: float) -> dict[str, Any]:
    """A rule file document with every duration divided by the time scale (see module doc)."""
    out = copy.deepcopy(doc)
    for gi, group in enumerate(out["groups"]):
        where = f"alerting.rules.groups[{gi}]"
        if group.get("interval") is not None:
            seconds = parse_duration(group["interval"], f"{where}.interval")
            group["interval"] = scaler.text(seconds, f"{where}.interval", "evaluation_interval")
        for ri, rule in enumerate(group.get("rules", [])):
            for key in ("for", "keep_firing_for"):
                if rule.get(key) is not None:
                    seconds = parse_duration(rule[key], f"{where}.rules[{ri}].{key}")
                    rule[key] = scaler.text(seconds, f"{where}.rules[{ri}].{key}")
            expr = str(rule["expr"])
            rule["expr"] = scale_expr(expr, scaler.time_scale)
            for r in ranges_s(rule["expr"]):
                if 0 < r < 2 * scrape_wall_s:
                    scaler.warnings.append(
                        f"{where}.rules[{ri}].expr: a {prom_duration(r)} range holds fewer "
                        f"than two scrapes {prom_duration(scrape_wall_s)} apart; rate() and "
                        "increase() over it see nothing"
                    )
    return out

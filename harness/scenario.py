"""Scenario files (`scenarios/*.yaml`): what a run does, validated completely before it starts.

A scenario is written in real units (a 1 m pending period, a 32 s throttle); `time_scale: 60`
runs it 60x faster. Errors name the file, the field path and the fix (`harness validate FILE`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, PrivateAttr, ValidationError, model_validator

from harness.chaos import DEFAULT_ORDER_DELAY_S, Chaos
from harness.durations import Duration
from harness.errors import UsageError
from harness.load.config import Load
from harness.scenario_parts import (  # the sections, importable from here as before
    DEFAULT_JOURNEY,
    Alerting,
    AutoReport,
    Expect,
    Pager,
    Service,
    Step,
    Strict,
    Traffic,
)
from harness.yamltext import YamlTextError, load_yaml

__all__ = [
    "DEFAULT_JOURNEY",
    "Alerting",
    "AutoReport",
    "Expect",
    "Pager",
    "Scenario",
    "ScenarioError",
    "Service",
    "Step",
    "Strict",
    "Traffic",
    "apply_overrides",
    "load_scenario",
]


class Scenario(Strict):
    _time_scale_note: str = PrivateAttr("")  # what `auto` chose, and why (printed by a run)
    name: str
    description: str = ""
    time_scale: float = Field(1.0, gt=0, le=600)
    seed: int = 1
    traffic: Traffic = Field(default_factory=lambda: Traffic())
    chaos: Chaos = Field(description="one fault, or a list (docs/faults.md)")
    service: Service = Field(default_factory=lambda: Service())
    alerting: Alerting = Field(default_factory=lambda: Alerting())
    pager: Pager = Field(default_factory=lambda: Pager())
    autoreport: AutoReport = Field(default_factory=lambda: AutoReport())
    expect: Expect = Field(default_factory=lambda: Expect())
    report_field: str = "followLinkToEndChaos"
    cooldown: Duration = 60.0
    max_duration: Duration = 1800.0
    load: Load = Field(default_factory=lambda: Load(), description="`harness load` settings")

    @model_validator(mode="after")
    def _pushes_need_a_known_port(self) -> Scenario:
        if self.service.telemetry_port is None and (
            self.service.metrics == "push" or self.alerting.backend == "external"
        ):
            raise ValueError(
                "service.telemetry_port is required with metrics push or alerting.backend "
                "external: it is the port your service and alerting send to (--telemetry-port)"
            )
        return self

    @model_validator(mode="after")
    def _pushes_need_our_evaluator(self) -> Scenario:
        if self.service.metrics == "push" and self.alerting.backend == "prometheus":
            raise ValueError(
                "service.metrics push reaches the built-in evaluator only: use alerting.backend "
                "builtin, or let Prometheus scrape the service (metrics: scrape)"
            )
        return self

    @model_validator(mode="after")
    def _fits(self) -> Scenario:
        for fault in self.chaos:
            latest = fault.at if fault.window is None else fault.window[1]
            if latest is not None and latest >= self.max_duration:
                raise ValueError(f"fault {fault.name} starts after max_duration: raise it")
        return self

    @property
    def order_delay(self) -> float:
        """The factory's orderDelay (scenario seconds): the throttle's wait, else 32 s."""
        for fault in self.chaos:
            if fault.kind == "throttle" and fault.settings.get("delay_ms") is not None:
                return float(fault.settings["delay_ms"]) / 1000
        return DEFAULT_ORDER_DELAY_S


class ScenarioError(UsageError):
    """A scenario file that cannot run; the message lists every problem with its field path."""


def _problems(exc: ValidationError, one_fault: bool = False) -> list[str]:
    """One line a problem, with its field path (`chaos.type`, not `chaos.0.type`, for the
    single-fault form of `chaos:`) and, for a misspelt field, the nearest real one."""
    from harness.scenario_checks import nearest_field

    lines = []
    for err in exc.errors():
        loc = list(err["loc"])
        near = nearest_field(Scenario, err["loc"]) if err["type"] == "extra_forbidden" else None
        if one_fault and loc[:2] == ["chaos", 0]:
            del loc[1]
        where = ".".join(str(p) for p in loc) or "(top level)"
        lines.append(f"  {where}: {err['msg']}" + (f" (did you mean `{near}`?)" if near else ""))
    return lines


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """`data` with `overrides` deep-merged in: `expect__detect_within="30s"` (or
    `{"expect": {"detect_within": "30s"}}`) sets one nested field and keeps its siblings."""
    merged = dict(data)
    for key, value in overrides.items():
        head, _, rest = key.partition("__")
        if rest:
            value = {rest: value}
        old = merged.get(head)
        if isinstance(value, Mapping):
            merged[head] = apply_overrides(old if isinstance(old, dict) else {}, value)
        else:
            merged[head] = value
    return merged


def load_scenario(
    path: Path,
    *,
    time_scale: float | Literal["auto"] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Scenario:
    """Read and check `path` completely; ScenarioError names the file, fields and fixes.
    `overrides` (see apply_overrides) are merged in before validation, `time_scale` (the
    command line's, explicit) last; see `settle_time_scale` for `auto`."""
    try:
        data = load_yaml(path.read_bytes())
    except OSError as exc:
        raise ScenarioError(
            f"{path}: cannot read it ({exc.strerror})", fix="check the path"
        ) from None
    except YamlTextError as exc:
        raise ScenarioError(f"{path}: {exc}", fix="fix the YAML (UTF-8, each key once)") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: expected a mapping of scenario fields at the top")
    if overrides:
        data = apply_overrides(data, overrides)
    file_scale = data.get("time_scale", 1.0)
    if time_scale is not None:
        data["time_scale"] = time_scale
    asked = data.get("time_scale", 1.0)
    if asked == "auto":
        data["time_scale"] = 1.0  # settled below, once the rules are known to be valid
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        one_fault = isinstance(data.get("chaos"), dict)
        problems = _problems(exc, one_fault) + _rule_problems(data)  # every stage at once
        raise ScenarioError(
            f"{path}: invalid scenario:\n" + "\n".join(problems),
            fix="see docs/scenario-reference.md",
        ) from None
    check_rules(path, scenario)
    try:
        return settle_time_scale(scenario, asked, file_scale, explicit=time_scale is not None)
    except UsageError as exc:
        raise ScenarioError(f"{path}: {exc.message}", fix=exc.fix) from None


def settle_time_scale(
    scenario: Scenario, asked: object, file_scale: object, *, explicit: bool
) -> Scenario:
    """`auto` picks the highest scale the rules allow (harness.timescale); a team's service
    runs auto by default, the file's number being the most it may choose; an explicit
    --time-scale that breaks a rule is refused."""
    from harness.timescale import AUTO_CAP, auto_scale, check_scale

    team = scenario.service.url is not None
    if asked != "auto" and not (team and not explicit):
        if team:
            check_scale(scenario, scenario.time_scale)
        return scenario
    cap = AUTO_CAP if asked == "auto" else float(file_scale)  # type: ignore[arg-type]
    chosen = auto_scale(scenario, cap)
    settled = scenario.model_copy(update={"time_scale": chosen.scale})
    who = f"limited by rule {chosen.rule!r}: {chosen.why}" if chosen.rule else chosen.why
    settled._time_scale_note = f"time scale auto: {chosen.scale:g}x ({who})"
    return settled


def _rule_problems(data: dict[str, Any]) -> list[str]:
    """The alert rules' own problems, when the rest of the file is invalid too."""
    from harness.alerting.rules import load_rules

    alerting = data.get("alerting")
    rules = alerting.get("rules") if isinstance(alerting, dict) else None
    if not isinstance(rules, list) or not all(isinstance(r, dict) for r in rules):
        return []
    try:
        load_rules(rules, where="alerting.rules")
    except UsageError as exc:
        return [f"  {exc.message}" + (f" (fix: {exc.fix})" if exc.fix else "")]
    return []


def check_rules(path: Path, scenario: Scenario) -> None:
    """The alert rules parse and use only what the built-in evaluator supports."""
    from harness.alerting.rules import load_rules  # the PromQL parser loads only when needed

    try:
        load_rules(scenario.alerting.rules, where="alerting.rules")
        if scenario.alerting.grafana_rules is not None:
            scenario.alerting.grafana_rules = _grafana_file(path, scenario.alerting.grafana_rules)
    except UsageError as exc:
        raise ScenarioError(f"{path}: {exc.message}", fix=exc.fix) from None


def _grafana_file(scenario_path: Path, name: str) -> str:
    """The export's absolute path (relative to the scenario file), checked to load."""
    from harness.alerting.grafana.load import GrafanaRules
    from harness.alerting.rulefile import load_rules

    file = (scenario_path.parent / name).resolve()
    if not isinstance(load_rules(file), GrafanaRules):
        raise ScenarioError(
            f"alerting.grafana_rules: {name} is not a Grafana export",
            fix="put Prometheus rules under alerting.rules, or export the rules from Grafana",
        )
    return str(file)

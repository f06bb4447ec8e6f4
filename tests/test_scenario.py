"""Scenario files are checked completely before anything starts; errors name file, field, fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.durations import format_duration, parse_duration
from harness.scenario import ScenarioError, load_scenario

SHIPPED = sorted(Path("scenarios").glob("*.yaml"))
SEED = Path("scenarios/seed-incident.yaml")


def write(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(SEED.read_text())
    for dotted, value in changes.items():
        *parents, leaf = dotted.split("__")
        node = data
        for key in parents:
            node = node[key]
        if value is None:
            node.pop(leaf)
        else:
            node[leaf] = value
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_scenario_is_valid(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.time_scale == 60 and scenario.alerting.rules


def test_the_seed_reads_in_real_units() -> None:
    seed = load_scenario(SEED)
    assert seed.pager.acknowledge_after == 18.0 and seed.chaos[0].at == 120.0
    assert seed.alerting.rules[0]["for"] == "1m"
    assert load_scenario(SEED, time_scale=10).time_scale == 10


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"chaos__type": "explode"}, "chaos.type"),
        ({"chaos__window": ["1m", "2m"]}, "chaos"),
        ({"chaos__at": None}, "chaos"),
        ({"pager__acknowledge_after": "soon"}, "pager.acknowledge_after"),
        ({"traffic__diners": 0}, "traffic.diners"),
        ({"colour": "red"}, "colour"),
        ({"autoreport__trigger": "maybe"}, "autoreport.trigger"),
        ({"chaos": None}, "chaos"),
    ],
)
def test_bad_fields_are_named_with_their_path(tmp_path: Path, changes: dict, field: str) -> None:
    path = write(tmp_path, **changes)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(path) in caught.value.message and f"  {field}" in caught.value.message


def test_a_rule_the_evaluator_cannot_run_is_refused_before_the_run(tmp_path: Path) -> None:
    rule = {"alert": "X", "expr": "limitk(3, pizzas_made_total)"}
    path = write(tmp_path, alerting__rules=[rule])
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert "alerting.rules[0].expr" in caught.value.message and "limitk" in caught.value.message


@pytest.mark.parametrize("text", ["name: [unclosed", "- a list\n- not a mapping\n"])
def test_unreadable_yaml_is_a_usage_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError):
        load_scenario(path)


@pytest.mark.parametrize(
    ("text", "seconds"), [("500ms", 0.5), ("1m30s", 90), ("2h", 7200), (45, 45.0)]
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_duration_errors_and_formatting() -> None:
    for bad in ("1 minute", "-5", "5x", True):
        with pytest.raises(ValueError):
            parse_duration(bad)
    assert [format_duration(s) for s in (0.25, 18, 90, 3600)] == ["250ms", "18s", "1m30s", "60m"]


def test_pushes_and_external_alerting_need_a_known_port(tmp_path: Path) -> None:
    seed = Path("scenarios/seed-incident.yaml")
    push = {"service": {"url": "http://127.0.0.1:3000", "metrics": "push"}}
    with pytest.raises(ScenarioError, match=r"service\.telemetry_port is required"):
        load_scenario(seed, overrides=push)
    external = {"alerting__backend": "external", "alerting__rules": []}
    with pytest.raises(ScenarioError, match="--telemetry-port"):
        load_scenario(seed, overrides=external)
    scenario = load_scenario(seed, overrides={**external, "service__telemetry_port": 9464})
    assert scenario.alerting.backend == "external" and not scenario.alerting.rules


def test_alerting_external_from_the_command_line_drops_the_files_rules() -> None:
    from harness.cli import build_parser
    from harness.runner.cli import run_overrides

    args = build_parser().parse_args(["run", "x.yaml", "--alerting", "external"])
    assert run_overrides(args) == {"alerting__backend": "external", "alerting__rules": []}
    args = build_parser().parse_args(["run", "x.yaml", "--processes", "2"])
    assert run_overrides(args) == {"traffic__processes": 2}

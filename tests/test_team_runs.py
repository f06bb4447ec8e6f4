"""`harness run --service-cmd` against a team's service with course-style telemetry (the fixture
tests/fixtures/course_service.py: its own metric names pushed every 1 s as OTLP JSON, a Loki
logger that exits on a refused push): the gate passes on its own metrics at the scale `auto`
chose, and a rule with a misspelled metric fails the gate and says what the service sends."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from harness.netutil import free_port
from harness.runner import run_scenario_result
from harness.timeline import read_timeline

pytestmark = pytest.mark.slow

SCENARIO = Path(__file__).parent.parent / "scenarios" / "team-seed-incident.yaml"
FIXTURE = Path(__file__).parent / "fixtures" / "course_service.py"


def course_run(tmp_path: Path, metric: str) -> tuple[int, list[Any]]:
    rule = {
        "alert": "PizzaCreationFailures",
        "expr": f"sum(increase({metric}[1m])) >= 3",
        "for": "1m",
        "keep_firing_for": "2m",
    }
    overrides = {
        "service__url": f"http://127.0.0.1:{free_port()}",
        "service__command": f"{sys.executable} {FIXTURE}",
        "service__metrics": "push",
        "service__telemetry_port": free_port(),
        "alerting__rules": [rule],
    }
    result = run_scenario_result(SCENARIO, report_dir=tmp_path, overrides=overrides)
    return result.exit_code, read_timeline(result.run_dir / "timeline.jsonl")


def test_course_style_telemetry_gates_pass_at_the_scale_auto_chose(tmp_path: Path) -> None:
    code, events = course_run(tmp_path, "pizza_creation_failures_total")
    notes = [e for e in events if e.kind == "telemetry_problem"]
    assert {n.problem for n in notes} == {"time_scale"}, [n.detail for n in notes]
    assert "auto: 20x" in notes[0].detail and "PizzaCreationFailures" in notes[0].detail
    assert code == 0, [e for e in events if e.kind in ("check", "run_ended")]
    servers = {e.name for e in events if e.kind == "server_started"}
    assert {"inbox", "service", "factory"} <= servers
    (accounting,) = [e for e in events if e.kind == "accounting"]
    assert accounting.consistent and "no service counter" in accounting.detail


def test_a_misspelled_metric_fails_the_gate_and_names_what_was_sent(tmp_path: Path) -> None:
    code, events = course_run(tmp_path, "pizza_factory_failures_total")
    assert code == 1
    (missing,) = [e for e in events if e.kind == "telemetry_problem" and e.metric]
    assert missing.suggestions[0] == "pizza_creation_failures_total"
    failed = {e.name for e in events if e.kind == "check" and not e.passed}
    assert "detect_within" in failed
    postmortem = tmp_path / next(p.name for p in tmp_path.iterdir()) / "postmortem.md"
    assert "did you mean `pizza_creation_failures_total`" in postmortem.read_text()

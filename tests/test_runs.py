"""Whole runs, end to end, as CI runs them: the seed incident passes with every milestone, each
negative control fails naming its expectation, and a signal mid-chaos rolls everything back."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from harness.timeline import read_timeline

pytestmark = pytest.mark.slow  # every test here runs `harness run` as a process

SCENARIOS = Path("scenarios")


def run(name: str, report_dir: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    """`harness run` from inside `report_dir` with a relative `--report-dir`, as a user would."""
    scenario = (SCENARIOS / f"{name}.yaml").resolve()
    argv = [sys.executable, "-m", "harness", "run", str(scenario), "--report-dir", "reports"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=180, cwd=report_dir)
    (run_dir,) = (report_dir / "reports").iterdir()
    return done, run_dir


def events(run_dir: Path, kind: str) -> list[Any]:
    return [e for e in read_timeline(run_dir / "timeline.jsonl") if e.kind == kind]


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    started = time.monotonic()
    done, run_dir = run("seed-incident", tmp_path_factory.mktemp("seed"))
    (run_dir / "wall.txt").write_text(str(time.monotonic() - started))
    return done, run_dir


def test_the_seed_incident_passes_with_every_milestone(seed: Any) -> None:
    done, run_dir = seed
    assert done.returncode == 0, done.stdout + done.stderr
    summary = json.loads((run_dir / "summary.json").read_text())
    reached = {m["milestone"]: m for m in summary["milestones"]}
    for milestone in (
        "chaos started (first order affected)",
        "first failed order",
        "alert pending",
        "alert firing",
        "on-call notified",
        "acknowledged",
        "report URL called",
        "recovery confirmed",
    ):
        assert reached[milestone]["reached"], milestone
        assert reached[milestone]["wall_s"] > 0 and reached[milestone]["scenario_s"] > 0
    assert summary["failed_orders"] >= 3 and summary["accounting"]["consistent"]
    assert float((run_dir / "wall.txt").read_text()) < 60
    for name in ("timeline.jsonl", "summary.json", "junit.xml", "locust.html"):
        assert (run_dir / name).exists(), name
    assert "PASSED, exit 0" in done.stdout and "acknowledged" in done.stdout


def test_the_seed_alert_fires_when_the_rule_semantics_say(seed: Any) -> None:
    """Firing = the condition (3 failed orders in 1 m) plus `for: 1m`, within one evaluation
    interval (30 s) plus one scrape interval (15 s)."""
    _, run_dir = seed
    failures = [e for e in events(run_dir, "order") if e.outcome == "failed"]
    condition = failures[2].st  # the third failed order's answer
    firing = next(e for e in events(run_dir, "alert") if e.state_to == "firing")
    pending = next(e for e in events(run_dir, "alert") if e.state_to == "pending")
    assert abs(firing.st - (condition + 60)) <= 30 + 15
    assert firing.st - pending.st == 60  # `for: 1m` on a 30 s grid


def test_the_seed_acknowledgement_and_report_follow_the_scenario(seed: Any) -> None:
    _, run_dir = seed
    notified = events(run_dir, "notified")[0]
    acknowledged = events(run_dir, "acknowledged")[0]
    assert acknowledged.who == "Lee Jensen"
    assert acknowledged.st - notified.st == pytest.approx(18, abs=0.01)
    firing = next(e for e in events(run_dir, "alert") if e.state_to == "firing")
    report = events(run_dir, "report_called")[0]
    assert report.outcome == "resolved" and report.who == "auto-reporter"
    assert 0 <= report.st - firing.st < 60  # scenario seconds (1 s wall), not minutes
    assert events(run_dir, "chaos_ended")[0].how == "resolved"


def test_the_seed_timeline_keeps_its_rule_and_the_service_error_lines(seed: Any) -> None:
    """The post-mortem quotes the rule and charts error log lines from the timeline alone."""
    _, run_dir = seed
    (rule,) = events(run_dir, "alert_rule")
    assert rule.alertname == "PizzaCreationFailures" and rule.for_s == 60
    assert "pizza_factory_failures_total" in rule.expr
    lines = [e for e in events(run_dir, "log_line") if e.type == "factory"]
    failed = [e for e in events(run_dir, "order") if e.outcome == "failed"]
    assert len(lines) >= len(failed) and all(e.status == 500 for e in lines)
    assert lines[0].message == "chaos monkey"
    assert "held for 1m" in (run_dir / "postmortem.md").read_text()


@pytest.mark.parametrize("name", ["throttle", "badjwt"])
def test_rules_that_do_catch_throttle_and_badjwt_pass(name: str, tmp_path: Path) -> None:
    done, run_dir = run(name, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    outcome = {"throttle": "slow", "badjwt": "bad_pizza"}[name]
    assert any(e.outcome == outcome for e in events(run_dir, "order"))


@pytest.mark.parametrize(
    ("name", "failed"),
    [
        ("missed-throttle", "detect_within"),
        ("missed-badjwt", "detect_within"),
        ("no-autoreport", "recover_within"),
        ("noisy-baseline", "no_alert_before_chaos"),
    ],
)
def test_negative_controls_fail_the_gate_naming_the_expectation(
    name: str, failed: str, tmp_path: Path
) -> None:
    done, run_dir = run(name, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"FAIL {failed}" in done.stdout
    junit = (run_dir / "junit.xml").read_text()
    assert f'name="{failed}"' in junit and "<failure" in junit


def start_mid_chaos(tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    """`harness run no-autoreport` (chaos never ends by itself), once the chaos has started."""
    argv = [
        sys.executable,
        "-m",
        "harness",
        "run",
        str(SCENARIOS / "no-autoreport.yaml"),
        "--report-dir",
        str(tmp_path),
    ]
    run_proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        dirs = list(tmp_path.iterdir())
        if dirs and (dirs[0] / "timeline.jsonl").exists() and events(dirs[0], "chaos_started"):
            return run_proc, dirs[0]
        time.sleep(0.1)
    run_proc.kill()
    raise AssertionError("the chaos never started")


def assert_rolled_back(run_dir: Path, status: str, code: int) -> None:
    leftovers = subprocess.run(["pgrep", "-f", str(run_dir)], capture_output=True, text=True)
    assert leftovers.stdout == "", "processes left behind"
    with sqlite3.connect(run_dir / "factory-state" / "factory.db") as db:
        assert db.execute("SELECT chaos_type FROM vendor").fetchone() == ("none",)
    last = read_timeline(run_dir / "timeline.jsonl")[-1]
    assert last.kind == "run_ended" and last.status == status and last.exit_code == code
    assert (run_dir / "summary.json").exists() and (run_dir / "junit.xml").exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_chaos_exits_4_and_rolls_back(sig: signal.Signals, tmp_path: Path) -> None:
    run_proc, run_dir = start_mid_chaos(tmp_path)
    run_proc.send_signal(sig)
    out, err = run_proc.communicate(timeout=60)
    assert run_proc.returncode == 4, out + err
    assert_rolled_back(run_dir, "interrupted", 4)
    assert events(run_dir, "accounting")[0].consistent


def test_a_child_dying_mid_run_exits_3_and_rolls_back(tmp_path: Path) -> None:
    run_proc, run_dir = start_mid_chaos(tmp_path)
    subprocess.run(["pkill", "-KILL", "-f", str(run_dir / "service.db")], check=True)
    out, err = run_proc.communicate(timeout=60)
    assert run_proc.returncode == 3, out + err
    assert "the service process exited during the run" in out
    assert_rolled_back(run_dir, "error", 3)

"""The command lines as a user runs them, each in its own process: bad input exits 2 naming the
file and field without a traceback, `harness report` rebuilds a run folder, and the runner's side
never imports locust. (Slow tier: each test starts a Python process.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_postmortem import write_run
from test_scenario import SEED, write
from test_traffic_units import base_config

from harness.report import HTML, MARKDOWN
from harness.report.charts import LOGERRORS, TIMECHART

pytestmark = pytest.mark.slow


def test_validate_command_exits_2_on_a_bad_file_without_traceback(tmp_path: Path) -> None:
    bad = write(tmp_path, chaos__type="explode")
    done = subprocess.run(
        [sys.executable, "-m", "harness", "validate", str(SEED), str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "seed-incident.yaml: ok" in done.stdout
    assert "chaos.type" in done.stderr and "Traceback" not in done.stderr


def test_run_with_a_bad_scenario_exits_2_and_starts_nothing(tmp_path: Path) -> None:
    bad = write(tmp_path, traffic__diners=-1)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "harness",
            "run",
            str(bad),
            "--report-dir",
            str(tmp_path / "reports"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "traffic.diners" in done.stderr
    assert not (tmp_path / "reports").exists()


def test_the_cli_exits_2_naming_the_field_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(base_config(tmp_path, diners=-2)))
    done = subprocess.run(
        [sys.executable, "-m", "harness.traffic", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert f"{path}: diners" in done.stderr and "fix:" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "events.jsonl").exists()  # nothing started


def test_the_runner_side_modules_never_import_locust() -> None:
    code = (
        "import sys, harness.traffic.config, harness.traffic.events, harness.traffic.supervise, "
        "harness.traffic.__main__; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('locust', 'gevent')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_harness_report_rebuilds_a_run_folder(tmp_path: Path) -> None:
    write_run(tmp_path)
    argv = [sys.executable, "-m", "harness", "report", str(tmp_path)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for name in (MARKDOWN, HTML, TIMECHART, LOGERRORS, "summary.json", "junit.xml"):
        assert (tmp_path / name).is_file()
    missing = subprocess.run(
        [*argv[:-1], str(tmp_path / "nope")], capture_output=True, text=True, timeout=60
    )
    assert missing.returncode == 2 and "Traceback" not in missing.stderr

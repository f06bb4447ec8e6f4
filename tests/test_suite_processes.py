"""The suite gate end to end: `harness run` with a passing and a failing shipped scenario, by
name, from a folder without scenarios: both run at once, one table, one junit.xml with a test
suite for each, and the worst exit code (1)."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # real runs: not in `make test-fast`


def test_a_suite_exits_with_its_worst_code_and_one_junit(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "harness", "run", "seed-incident", "noisy-baseline"]
    done = subprocess.run(
        [*argv, "--jobs", "2", "--report-dir", "reports"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,  # no scenarios/ here: the names resolve to the shipped files
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "2 scenarios, 2 at a time" in done.stdout
    table = done.stdout.split("scenario           result")[1]
    assert "seed-incident      PASSED          0" in table
    assert "noisy-baseline     FAILED          1" in table
    (suite_dir,) = (tmp_path / "reports").iterdir()
    root = ET.parse(suite_dir / "junit.xml").getroot()
    names = [s.get("name") for s in root.findall("testsuite")]
    assert names == ["harness.seed-incident", "harness.noisy-baseline"]
    failed = root.find("testsuite[@name='harness.noisy-baseline']/testcase/failure/..")
    assert failed is not None and failed.get("name") == "no_alert_before_chaos"
    for html in ("01-seed-incident", "02-noisy-baseline"):
        assert list((suite_dir / html).glob("*/postmortem.html"))

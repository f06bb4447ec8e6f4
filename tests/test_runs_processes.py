"""The seed incident end to end with its diners in a Locust master and two workers
(`harness run --processes 2`): it passes, and its order counts equal the service's own."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.timeline import read_timeline

pytestmark = pytest.mark.slow  # real processes: not in `make test-fast`


def test_the_seed_incident_passes_with_two_processes(tmp_path: Path) -> None:
    scenario = Path("scenarios/seed-incident.yaml").resolve()
    argv = [sys.executable, "-m", "harness", "run", str(scenario), "--processes", "2"]
    done = subprocess.run(
        [*argv, "--report-dir", "reports"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=tmp_path,
    )
    (run_dir,) = (tmp_path / "reports").iterdir()
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASSED, exit 0" in done.stdout

    timeline = read_timeline(run_dir / "timeline.jsonl")
    (accounting,) = [e for e in timeline if e.kind == "accounting"]
    orders = [e for e in timeline if e.kind == "order"]
    traffic = json.loads((run_dir / "traffic-summary.json").read_text())
    assert accounting.consistent, accounting.detail
    assert accounting.attempts == len(orders) == traffic["attempts"] > 0
    assert accounting.outcomes == traffic["outcomes"]
    # every attempt was answered, so the service counted exactly those plus the runner's probe
    probes = int(accounting.service_orders) - accounting.attempts
    assert all(o.status is not None for o in orders)
    assert 1 <= probes <= 3, (accounting.service_orders, accounting.attempts)

    assert traffic["processes"] == 2 and traffic["worker_exit_codes"] == [0, 0]
    workers = traffic["workers"]
    assert [w["index"] for w in workers] == [0, 1]
    assert all(w["done"] and w["received"] == w["sent"] > 0 for w in workers), workers
    assert sum(w["received"] for w in workers) == traffic["attempts"]
    assert len({o.diner for o in orders}) == 4  # the scenario's 4 diners, none a clone

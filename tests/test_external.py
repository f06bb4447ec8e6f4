"""A team's own service as the system under test: a separately started service, configured by
URL only, pushing its metrics by OTLP and its logs to Loki; the whole seed scenario runs against
it, and a service wired to the wrong factory is stopped by the canary order."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.factory.config import new_vendor_key
from harness.netutil import free_port
from harness.procs import ManagedProcess
from harness.timeline import read_timeline

SEED = Path("scenarios/seed-incident.yaml").resolve()


class TeamService:
    """The reference service started on its own, as a team runs theirs: it knows only the
    factory's URL and key, and where to push its telemetry."""

    def __init__(self, tmp: Path, factory_port: int, key: str, telemetry_port: int) -> None:
        self.port, self.key = free_port(), key
        self.url = f"http://127.0.0.1:{self.port}"
        telemetry = f"http://127.0.0.1:{telemetry_port}"
        args = ["serve", "service", "--port", str(self.port), "--db", str(tmp / "team.db")]
        args += ["--factory-url", f"http://127.0.0.1:{factory_port}", "--factory-key", key]
        args += ["--otlp-url", telemetry, "--loki-url", telemetry, "--push-interval", "0.25"]
        args += ["--time-scale", "60", "--log-file", str(tmp / "team.jsonl")]
        self.process = ManagedProcess.harness("team-service", args, f"{self.url}/", tmp)


@pytest.fixture
def ports() -> dict[str, int]:
    return {"factory": free_port(), "telemetry": free_port()}


@pytest.fixture
def team(tmp_path: Path, ports: dict[str, int]) -> Iterator[TeamService]:
    service = TeamService(tmp_path, ports["factory"], new_vendor_key(), ports["telemetry"])
    with service.process:
        yield service


def run_against(
    team: TeamService, ports: dict[str, int], tmp: Path, key: str
) -> tuple[subprocess.CompletedProcess[str], Path]:
    argv = [sys.executable, "-m", "harness", "run", str(SEED), "--report-dir", "reports"]
    argv += ["--service-url", team.url, "--factory-port", str(ports["factory"])]
    argv += ["--vendor-key", key, "--metrics", "push"]
    argv += ["--telemetry-port", str(ports["telemetry"])]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=240, cwd=tmp)
    (run_dir,) = (tmp / "reports").iterdir()
    return done, run_dir


def kinds(run_dir: Path, kind: str) -> list[Any]:
    return [e for e in read_timeline(run_dir / "timeline.jsonl") if e.kind == kind]


def test_the_seed_incident_runs_against_a_service_known_by_url_only(
    team: TeamService, ports: dict[str, int], tmp_path: Path
) -> None:
    done, run_dir = run_against(team, ports, tmp_path, team.key)
    assert done.returncode == 0, done.stdout + done.stderr
    servers = {e.name: e.url for e in kinds(run_dir, "server_started")}
    assert servers["service"] == team.url
    assert servers["inbox"] == f"http://127.0.0.1:{ports['telemetry']}"
    assert not (run_dir / "service.jsonl").exists()  # we never read its log file: Loki only
    firing = [e for e in kinds(run_dir, "alert") if e.state_to == "firing"]
    assert firing and firing[0].alertname == "PizzaCreationFailures"  # on pushed OTLP metrics
    (report,) = [e for e in kinds(run_dir, "report_called") if e.outcome == "resolved"]
    assert report.who == "auto-reporter"
    assert any(e.type == "factory" and e.status == 500 for e in kinds(run_dir, "log_line"))
    (accounting,) = kinds(run_dir, "accounting")
    assert accounting.consistent and accounting.service_orders is not None
    answered = sum(1 for e in kinds(run_dir, "order") if e.status is not None)
    assert answered <= accounting.service_orders - 1 <= accounting.attempts + 1  # + canary, probes


def test_a_service_on_another_vendor_key_is_stopped_by_the_canary(
    team: TeamService, ports: dict[str, int], tmp_path: Path
) -> None:
    done, run_dir = run_against(team, ports, tmp_path, new_vendor_key())
    assert done.returncode == 3, done.stdout + done.stderr
    assert "canary order" in done.stdout + done.stderr
    assert f"factory.url at http://127.0.0.1:{ports['factory']}" in done.stdout + done.stderr
    assert not kinds(run_dir, "order")  # no diner was started
    left = subprocess.run(["pgrep", "-f", str(run_dir)], capture_output=True, text=True)
    assert left.stdout == ""

"""A team's own service as the system under test: a separately started service, configured by
URL only, pushing its metrics by OTLP and its logs to Loki; the whole seed scenario runs against
it, and a service wired to the wrong factory is stopped by the canary order."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from harness.factory.config import new_vendor_key
from harness.netutil import free_port
from harness.procs import ManagedProcess
from harness.runner.preflight import CANARIES
from harness.timeline import read_timeline

pytestmark = pytest.mark.slow  # real processes: not in `make test-fast`

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
    team: TeamService, ports: dict[str, int], tmp: Path, key: str, metrics: str = "push"
) -> tuple[subprocess.CompletedProcess[str], Path]:
    argv = [sys.executable, "-m", "harness", "run", str(SEED), "--report-dir", "reports"]
    argv += ["--service-url", team.url, "--factory-port", str(ports["factory"])]
    argv += ["--vendor-key", key, "--metrics", metrics]
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
    lines = kinds(run_dir, "log_line")
    assert any(e.type == "factory" and e.status == 500 for e in lines)
    (ended,) = kinds(run_dir, "run_ended")
    assert all(0 < e.st <= ended.st for e in lines)  # pushed lines on the run's own clock
    (accounting,) = kinds(run_dir, "accounting")
    assert accounting.consistent and accounting.service_orders is not None
    answered = sum(1 for e in kinds(run_dir, "order") if e.status is not None)
    canaries = accounting.service_orders - CANARIES  # the diners' orders and the probes
    assert answered <= canaries <= accounting.attempts + 1


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


def test_a_service_that_already_counted_orders_keeps_the_accounting_exact(
    team: TeamService, ports: dict[str, int], tmp_path: Path
) -> None:
    """A team's service keeps its counters between runs: the run counts from where it found
    them (scraped before the canary)."""
    (tmp_path / "earlier").mkdir()
    earlier, _ = run_against(team, ports, tmp_path / "earlier", team.key, metrics="scrape")
    assert earlier.returncode == 0, earlier.stdout + earlier.stderr
    done, run_dir = run_against(team, ports, tmp_path, team.key, metrics="scrape")
    assert done.returncode == 0, done.stdout + done.stderr
    (accounting,) = kinds(run_dir, "accounting")
    assert accounting.consistent, accounting.detail
    assert accounting.service_orders is not None
    assert accounting.service_orders <= accounting.attempts + CANARIES + 1  # this run: + probe


def grafana_payload(status: str, at: str) -> dict[str, Any]:
    """A Grafana contact-point webhook (version 1), as the team's Grafana would post it."""
    payload = json.loads(Path("tests/payloads/grafana-firing.json").read_text())
    alert = payload["alerts"][0]
    alert.update(status=status, startsAt=at)
    payload.update(status=status, state="alerting" if status == "firing" else "ok")
    if status == "resolved":
        alert["endsAt"] = at
    return payload


def test_your_own_grafana_alerts_the_harness_through_its_webhook(tmp_path: Path) -> None:
    """backend external: no rules of ours; the team's Grafana posts firing and resolved, and
    the auto-reporter, pager and verdict act on them as on the built-in alerts."""
    port = free_port()
    scenario = yaml.safe_load(SEED.read_text())
    scenario["alerting"] = {"backend": "external"}
    scenario["service"] = {"telemetry_port": port}
    path = tmp_path / "external-alerting.yaml"
    path.write_text(yaml.safe_dump(scenario))
    argv = [sys.executable, "-m", "harness", "run", str(path), "--report-dir", "reports"]
    run = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        run_dir = wait_for(lambda: next((tmp_path / "reports").glob("*"), None))
        wait_for(lambda: kinds(run_dir, "chaos_started") or None)
        hook = f"http://127.0.0.1:{port}/hooks/grafana"
        now = datetime.now(UTC).isoformat()
        assert httpx.post(hook, json=grafana_payload("firing", now)).status_code == 200
        wait_for(lambda: kinds(run_dir, "recovered") or None)
        wait_for(lambda: kinds(run_dir, "acknowledged") or None)  # Grafana resolves later
        now = datetime.now(UTC).isoformat()
        assert httpx.post(hook, json=grafana_payload("resolved", now)).status_code == 200
        output, _ = run.communicate(timeout=120)
    finally:
        run.kill()
    assert run.returncode == 0, output.decode()
    assert not kinds(run_dir, "alert_rule")  # nothing evaluated by us
    states = [e.state_to for e in kinds(run_dir, "alert")]
    assert states == ["firing", "resolved"]
    (report,) = kinds(run_dir, "report_called")
    assert report.who == "auto-reporter" and report.outcome == "resolved"
    assert kinds(run_dir, "notified")[0].reason.startswith("grafana")


def wait_for(found: Callable[[], Any], timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting")

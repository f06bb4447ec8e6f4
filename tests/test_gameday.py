"""Game days with real processes: a person acknowledges and resolves from a second process and
the timeline and post-mortem say so; `harness abort` rolls everything back; and the people's
commands fail clearly when no game day is running or it refuses them."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import respx
from rich.console import Console
from starlette.testclient import TestClient

from harness.cli import main
from harness.errors import UsageError
from harness.gameday.control import Refused, control_app
from harness.gameday.dashboard import View, panel, plain
from harness.gameday.info import GAMEDAY_FILE, write_info
from harness.gameday.run import gameday_scenario, parse_window
from harness.pager import NothingToAcknowledge, Pager
from harness.scenario import load_scenario
from harness.timeline import Action, Notified, read_timeline

# The seed incident as a team would run it on a game day (the chaos `at` is replaced by the
# game day's window); nobody acknowledges or reports but the people.
SCENARIO = """
name: gameday-test
time_scale: 60
traffic: {diners: 4, think_time: [10s, 30s]}
chaos: {type: fail, at: 2m}
alerting:
  scrape_interval: 15s
  evaluation_interval: 30s
  rules:
    - alert: PizzaCreationFailures
      expr: sum(increase(pizza_factory_failures_total[1m])) >= 3
      for: 1m
      keep_firing_for: 2m
  group_wait: 30s
pager: {oncall: Lee Jensen, acknowledge_after: 18s, escalate_after: 5m}
expect: {detect_within: 5m, notify_within: 6m}
cooldown: 1m
max_duration: 40m
"""
WHO = "Ana Diner"


def harness(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "harness", *args]
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60)


def wait_for(what: str, found: Callable[[], Any], timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def kinds(run_dir: Path, kind: str) -> list[Any]:
    path = run_dir / "timeline.jsonl"
    return [e for e in read_timeline(path) if e.kind == kind] if path.exists() else []


@pytest.fixture
def gameday(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """`harness gameday` 60x faster, chaos in 30s-40s, started; yields it and its run folder."""
    (tmp_path / "gameday.yaml").write_text(SCENARIO)
    argv = [sys.executable, "-m", "harness", "gameday", "gameday.yaml", "--time-scale", "60"]
    argv += ["--window", "30s-40s", "--seed", "7", "--report-dir", "reports"]
    with (tmp_path / "out.txt").open("w") as out:
        proc = subprocess.Popen(argv, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT, text=True)
    info = tmp_path / "reports" / GAMEDAY_FILE
    try:
        wait_for("gameday.json", info.exists)
        yield proc, Path(json.loads(info.read_text())["run_dir"])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def report_url(run_dir: Path) -> str | None:
    """The newest report URL in the diners' order log, as a person would find it."""
    lines = (run_dir / "orders.jsonl").read_text().splitlines()
    urls = [json.loads(line).get("report_url") for line in lines if line.strip()]
    return next((u for u in reversed(urls) if u), None)


def assert_rolled_back(run_dir: Path, report_dir: Path) -> None:
    leftovers = subprocess.run(["pgrep", "-f", str(run_dir)], capture_output=True, text=True)
    assert leftovers.stdout == "", "processes left behind"
    with sqlite3.connect(run_dir / "factory-state" / "factory.db") as db:
        assert db.execute("SELECT chaos_type FROM vendor").fetchone() == ("none",)
    assert not (report_dir / GAMEDAY_FILE).exists()


@pytest.mark.slow
def test_a_person_acknowledges_and_resolves_from_another_process(
    gameday: tuple[subprocess.Popen[str], Path], tmp_path: Path
) -> None:
    proc, run_dir = gameday
    wait_for("the page", lambda: kinds(run_dir, "notified"))
    acked = harness(tmp_path, "ack", "--who", WHO)
    assert acked.returncode == 0, acked.stderr
    url = wait_for("a report URL", lambda: report_url(run_dir))
    resolved = harness(tmp_path, "resolve", url, "--who", WHO)
    assert resolved.returncode == 0 and resolved.stdout.startswith("resolved"), resolved.stderr
    assert proc.wait(timeout=90) == 0, (tmp_path / "out.txt").read_text()

    assert [(a.who, a.action) for a in kinds(run_dir, "action")] == [(WHO, "ack"), (WHO, "resolve")]
    (acknowledged,) = kinds(run_dir, "acknowledged")
    assert acknowledged.who == WHO  # the simulated on-call never acknowledged
    (called,) = kinds(run_dir, "report_called")
    assert (called.who, called.outcome, called.url) == (WHO, "resolved", url)
    assert kinds(run_dir, "chaos_ended")[0].how == "resolved"
    assert kinds(run_dir, "recovered")[0].st > called.st
    postmortem = (run_dir / "postmortem.md").read_text()
    assert f"{WHO} acknowledged at" in postmortem
    assert (
        f"{WHO} called the report URL" in postmortem and f"| {WHO}: `harness ack` |" in postmortem
    )
    assert_rolled_back(run_dir, tmp_path / "reports")
    output = (tmp_path / "out.txt").read_text()
    assert "PASSED, exit 0" in output and "pager acknowledged by Ana Diner" in output


@pytest.mark.slow
def test_abort_rolls_back_and_exits_4(
    gameday: tuple[subprocess.Popen[str], Path], tmp_path: Path
) -> None:
    proc, run_dir = gameday
    wait_for("the chaos", lambda: kinds(run_dir, "chaos_started"))
    aborted = harness(tmp_path, "abort", "--who", WHO)
    assert aborted.returncode == 0 and "aborting" in aborted.stdout, aborted.stderr
    assert proc.wait(timeout=90) == 4, (tmp_path / "out.txt").read_text()
    assert_rolled_back(run_dir, tmp_path / "reports")
    last = read_timeline(run_dir / "timeline.jsonl")[-1]
    assert last.kind == "run_ended" and last.status == "interrupted" and last.exit_code == 4
    assert f"aborted by {WHO}" in last.reason
    assert [(a.who, a.action) for a in kinds(run_dir, "action")] == [(WHO, "abort")]
    assert "INTERRUPTED" in (run_dir / "postmortem.md").read_text()
    again = harness(tmp_path, "abort")
    assert again.returncode == 2 and "no game day is running" in again.stderr


@pytest.mark.slow
def test_sigterm_rolls_a_game_day_back_too(
    gameday: tuple[subprocess.Popen[str], Path], tmp_path: Path
) -> None:
    proc, run_dir = gameday
    wait_for("the chaos", lambda: kinds(run_dir, "chaos_started"))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=90) == 4, (tmp_path / "out.txt").read_text()
    assert_rolled_back(run_dir, tmp_path / "reports")
    assert read_timeline(run_dir / "timeline.jsonl")[-1].status == "interrupted"


@pytest.mark.parametrize("command", [["ack"], ["resolve", "http://127.0.0.1:1/x"], ["abort"]])
def test_no_game_day_running_is_a_clear_usage_error(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*command, "--report-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no game day is running" in err and "harness gameday SCENARIO" in err


def test_a_game_day_that_no_longer_answers_is_not_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_info(tmp_path / GAMEDAY_FILE, "http://127.0.0.1:9", "token", tmp_path)
    assert main(["ack", "--who", WHO, "--report-dir", str(tmp_path)]) == 2
    assert "does not answer" in capsys.readouterr().err


@respx.mock
def test_refusals_and_unresolved_answers_have_their_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_info(tmp_path / GAMEDAY_FILE, "http://127.0.0.1:9", "token", tmp_path)
    where = ["--report-dir", str(tmp_path)]
    respx.post("http://127.0.0.1:9/ack").respond(409, json={"message": "already acknowledged"})
    assert main(["ack", *where]) == 2
    assert "refused `ack`: already acknowledged" in capsys.readouterr().err
    unresolved = {"message": "the factory answered 400: unresolved", "outcome": "unresolved"}
    respx.post("http://127.0.0.1:9/resolve").respond(200, json={**unresolved, "status": 400})
    assert main(["resolve", "http://127.0.0.1:2/r", "--who", WHO, *where]) == 1
    assert capsys.readouterr().out.startswith("unresolved")
    request = respx.calls.last.request
    assert json.loads(request.content) == {"who": WHO, "url": "http://127.0.0.1:2/r"}
    assert request.headers["authorization"] == "Bearer token"


class FakePeople:
    def __init__(self) -> None:
        self.done: list[tuple[str, ...]] = []

    def acknowledge(self, who: str) -> str:
        if self.done:
            raise Refused("the page is already acknowledged")
        self.done.append(("ack", who))
        return f"acknowledged by {who}"

    async def resolve(self, who: str, url: str) -> dict[str, Any]:
        self.done.append(("resolve", who, url))
        return {"message": "ok", "outcome": "resolved", "status": 200}

    def abort(self, who: str) -> str:
        self.done.append(("abort", who))
        return "aborting"


def test_the_control_api_needs_the_token_and_a_person() -> None:
    people = FakePeople()
    client = TestClient(control_app(people, "secret"))
    auth = {"authorization": "Bearer secret"}
    assert client.post("/ack", json={"who": WHO}).status_code == 401
    assert client.post("/ack", json={"who": WHO}, headers={"authorization": "x"}).status_code == 401
    assert client.post("/ack", json={"who": " "}, headers=auth).status_code == 400
    assert client.post("/ack", content=b"[1]", headers=auth).status_code == 400
    assert client.post("/ack", json={"who": WHO}, headers=auth).json()["message"].endswith(WHO)
    again = client.post("/ack", json={"who": "Bob"}, headers=auth)
    assert again.status_code == 409 and "already" in again.json()["message"]
    assert client.post("/resolve", json={"who": WHO}, headers=auth).status_code == 400
    assert client.post("/resolve", json={"who": WHO, "url": "u"}, headers=auth).status_code == 200
    assert client.get("/abort", headers=auth).status_code == 405
    assert people.done == [("ack", WHO), ("resolve", WHO, "u")]


def test_a_game_day_scenario_is_real_time_unannounced_and_unattended(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SCENARIO)
    scenario = gameday_scenario(load_scenario(tmp_path / "s.yaml", time_scale=1.0), seed=3)
    assert scenario.time_scale == 1.0 and scenario.seed == 3
    assert scenario.chaos[0].at is None and scenario.chaos[0].window == (120.0, 600.0)
    assert scenario.pager.acknowledge_after is None and scenario.autoreport.trigger == "off"
    asked = gameday_scenario(scenario, window=parse_window("1m-90s"), autoreport=True)
    assert asked.chaos[0].window == (60.0, 90.0) and asked.autoreport.trigger == "firing"
    for bad in ("2m", "10m-2m", "a-b"):
        with pytest.raises(UsageError, match="--window"):
            parse_window(bad)
    with pytest.raises(UsageError, match="max_duration"):
        gameday_scenario(scenario, window=(60.0, 3600.0))


def test_only_a_page_can_be_acknowledged_by_a_person() -> None:
    pager = Pager("Lee Jensen", acknowledge_after=None, escalate_after=60)
    with pytest.raises(NothingToAcknowledge, match="nobody has been paged"):
        pager.acknowledge(WHO, 10)
    pager.notify(Notified(group="g", status="firing", alerts=["A"], who="Lee Jensen"), 20)
    assert pager.due(200)[0][1].kind == "notified"  # unacknowledged: escalates
    assert pager.acknowledge(WHO, 210).who == WHO
    assert pager.due(1000) == []
    with pytest.raises(NothingToAcknowledge, match=f"already acknowledged by {WHO}"):
        pager.acknowledge("Bob", 220)


def test_the_dashboard_shows_no_hint_of_the_chaos() -> None:
    action = Action(who=WHO, action="ack", st=340.0)
    view = View(
        scenario="gameday-test",
        time_scale=1.0,
        st=400.0,
        ok=8,
        failed=43,
        ok_per_s=0.0,
        failed_per_s=0.15,
        error_rate=1.0,
        alert="firing",
        alerts=["PizzaCreationFailures"],
        pager="acknowledged by Ana Diner at 5m40s",
        actions=[action],
        how_to_act=["harness ack --who NAME"],
    )
    console = Console(record=True, width=120)
    console.print(panel(view))
    for text in (console.export_text(), plain(view)):
        assert "100%" in text and "Ana Diner" in text and "firing" in text
        for hint in ("chaos", "armed", "fail ", "throttle", "badjwt", "inject"):
            assert hint not in text.lower()

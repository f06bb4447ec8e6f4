"""Issue 12 with real processes: nothing a run started survives a SIGKILL of the harness, a
factory that outlives its harness clears its own chaos, and a run refuses a factory it did not
start (a taken --factory-port is exit 3 naming the port)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from harness.errors import ServerError
from harness.factory.store import FactoryStore
from harness.netutil import free_port
from harness.procs import ManagedProcess, ProcessGroup
from harness.runner.stack import start_servers

pytestmark = pytest.mark.slow  # real processes: not in `make test-fast`


def descendants(pid: int) -> set[int]:
    """Every process below `pid`, read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(predicate: object, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


# 3. SIGKILL of the harness leaked the factory, the service and Locust with chaos armed.
def test_3_nothing_survives_a_sigkill_of_the_harness(tmp_path: Path) -> None:
    scenario = Path("scenarios/seed-incident.yaml").resolve()
    harness = subprocess.Popen(
        [sys.executable, "-m", "harness", "run", str(scenario), "--report-dir", "reports"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        timeline = lambda: next((tmp_path / "reports").glob("*/timeline.jsonl"), None)  # noqa: E731
        wait_for(
            lambda: timeline() is not None and "chaos_armed" in timeline().read_text(),  # type: ignore[union-attr]
            120,
            "the chaos to be armed",
        )
        children = descendants(harness.pid)
        assert len(children) >= 3, children  # factory, service, traffic (and Locust)
        harness.send_signal(signal.SIGKILL)
        harness.wait()
        wait_for(lambda: not any(running(p) for p in children), 45, f"{children} to end")
    finally:
        if harness.poll() is None:
            harness.kill()
            harness.wait()


ORPHAN = """
import os, subprocess, sys, time, httpx
port, state, token = sys.argv[1], sys.argv[2], sys.argv[3]
env = {**os.environ, "HARNESS_PARENT_PID": str(os.getpid())}
argv = [sys.executable, "-m", "harness", "serve", "factory", "--port", port, "--state-dir",
        state, "--admin-token", token, "--chaos-start", "now"]
factory = subprocess.Popen(argv, env=env, start_new_session=True)  # no parent-death signal
url = f"http://127.0.0.1:{port}/admin"
headers = {"authorization": f"Bearer {token}"}
for _ in range(200):
    try:
        httpx.put(url + "/chaos", json={"type": "fail", "start": "now"}, headers=headers)
        break
    except httpx.HTTPError:
        time.sleep(0.1)
print(factory.pid, flush=True)
time.sleep(600)
"""


def test_3_a_factory_that_outlives_its_harness_clears_its_chaos(tmp_path: Path) -> None:
    port, state = free_port(), tmp_path / "state"
    starter = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(ORPHAN), str(port), str(state), "t0ken"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert starter.stdout is not None
    factory_pid = int(starter.stdout.readline())
    try:
        assert FactoryStore(state / "factory.db").snapshot().vendor.chaos.type == "fail"
        starter.kill()
        starter.wait()
        wait_for(lambda: not running(factory_pid), 20, "the orphaned factory to stop")
        store = FactoryStore(state / "factory.db")
        assert store.snapshot().vendor.chaos.type == "none"
        assert any("watchdog" in str(t.get("by")) for t in store.transitions())
    finally:
        if running(factory_pid):
            os.kill(factory_pid, signal.SIGKILL)
        if starter.poll() is None:
            starter.kill()


def leftover_factory(tmp_path: Path, port: int) -> ManagedProcess:
    args = ["serve", "factory", "--port", str(port), "--admin-token", "an-earlier-run"]
    return ManagedProcess.harness("leftover", args, f"http://127.0.0.1:{port}/", tmp_path)


# Issue 9's item 5 / issue 12: a run talked to a factory it did not start.
def test_a_taken_factory_port_is_exit_3_naming_the_port(tmp_path: Path) -> None:
    port = free_port()
    group = ProcessGroup()
    with leftover_factory(tmp_path, port), group, pytest.raises(ServerError) as caught:
        start_servers(
            group, tmp_path / "run", factory_port=port, external_service="http://127.0.0.1:9"
        )
    assert caught.value.exit_code == 3
    assert f"--factory-port {port}" in str(caught.value) and f"fuser -k {port}/tcp" in str(
        caught.value
    )


def test_the_health_probe_refuses_a_factory_this_run_did_not_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import harness.factory.identity as identity

    port = free_port()
    monkeypatch.setattr(identity, "check_port_free", lambda *a: None)  # lose the race
    with leftover_factory(tmp_path, port), ProcessGroup() as group:
        with pytest.raises(ServerError, match="not the factory this run started"):
            start_servers(
                group, tmp_path / "run", factory_port=port, external_service="http://127.0.0.1:9"
            )
        assert httpx.get(f"http://127.0.0.1:{port}/api/docs").status_code == 200  # untouched


STARTER = """
import os, subprocess, sys, time
from harness.procs import child_env, die_with_parent
argv = [*sys.argv[1:], "/bin/sh", "-c", "sleep 120; true"]  # sh stays: a compound command
team = subprocess.Popen(
    argv, start_new_session=True, env=child_env(), preexec_fn=die_with_parent(os.getpid())
)
print(team.pid, flush=True)
time.sleep(600)
"""


LIFELINE = [sys.executable, "-m", "harness.lifeline"]  # as stack.start_team_service starts it


def test_3_a_team_command_under_sh_ends_with_the_harness(tmp_path: Path) -> None:
    """`sh -c "...; true"` keeps sh as the parent of the command: the lifeline ends them all."""
    starter = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(STARTER), *LIFELINE],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert starter.stdout is not None
    lifeline = int(starter.stdout.readline())
    try:
        sleeping = lambda: any(  # noqa: E731
            Path(f"/proc/{p}/comm").read_text().strip() == "sleep" for p in descendants(lifeline)
        )
        wait_for(sleeping, 10, "the team's command to start")
        tree = {lifeline, *descendants(lifeline)}
        starter.kill()
        starter.wait()
        wait_for(lambda: not any(running(p) for p in tree), 15, f"{tree} to end")
    finally:
        if starter.poll() is None:
            starter.kill()

"""`harness run scenarios/` (or several files): the suite gate. Every scenario is checked first,
then each runs as its own `harness run` child (its own servers on free ports), as many at once
as `--jobs` allows; one table, one junit.xml with a test suite per scenario, the worst exit code.

A run mostly waits on its scenario clock and needs about 10 s of CPU, so once the cores are
busy the suite takes its total CPU over the cores whatever the number at once; starting them all
(up to 5 a core; each takes ~350 MB) leaves no run waiting alone at the end. Measured on 2 busy
cores: 9 scenarios in 53 s all at once, 78 s four at a time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from harness.durations import signed_duration
from harness.errors import ExitCode, UsageError
from harness.scenario import ScenarioError, load_scenario

STOP_GRACE_S = 90.0  # a child given SIGTERM rolls back (stops traffic, clears chaos) first


def default_jobs(count: int) -> int:
    return max(1, min(count, 5 * (os.cpu_count() or 1)))


@dataclass
class Member:
    """One scenario of the suite and its `harness run` child."""

    path: Path
    report_dir: Path
    limit_s: float  # wall seconds before the child is stopped (its max_duration, plus slack)
    proc: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    wall_s: float = 0.0
    code: int | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.summary.get("scenario") or self.path.stem)

    def run_dir(self) -> Path | None:
        found = sorted(p for p in self.report_dir.glob("*") if p.is_dir())
        return found[-1] if found else None


def check_all(paths: Sequence[Path], time_scale: float | Literal["auto"] | None) -> list[float]:
    """Every file validated before anything starts; every problem of every file at once.
    Returns each run's wall-time limit."""
    problems, limits = [], []
    for path in paths:
        try:
            scenario = load_scenario(path, time_scale=time_scale)
            limits.append(scenario.max_duration / scenario.time_scale + 120)
        except ScenarioError as exc:
            problems.append(str(exc))
    if problems:
        raise ScenarioError("\n".join(problems), fix="fix every file listed; nothing was started")
    return limits


def run_suite(
    paths: Sequence[Path], report_dir: Path, forward: Sequence[str], jobs: int | None = None
) -> int:
    time_scale = _forwarded_scale(forward)
    limits = check_all(paths, time_scale)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    suite_dir = report_dir.resolve() / f"{stamp}-suite"
    suite_dir.mkdir(parents=True, exist_ok=False)
    members = [
        Member(p, suite_dir / f"{i + 1:02d}-{p.stem}", limit)
        for i, (p, limit) in enumerate(zip(paths, limits, strict=True))
    ]
    jobs = max(1, jobs or default_jobs(len(members)))
    print(f"harness run: {len(members)} scenarios, {jobs} at a time -> {suite_dir}", flush=True)
    began = time.monotonic()
    try:
        _schedule(members, forward, jobs)
    except KeyboardInterrupt:
        _stop_all(members)
    wall = time.monotonic() - began
    for member in members:
        _collect(member)
    print(table(members, wall), flush=True)
    junit = suite_dir / "junit.xml"
    write_junit(junit, members)
    worst = max((m.code if m.code is not None else ExitCode.INTERRUPTED) for m in members)
    print(f"suite junit.xml: {junit}", flush=True)
    return int(worst)


def _forwarded_scale(forward: Sequence[str]) -> float | Literal["auto"] | None:
    if "--time-scale" not in forward:
        return None
    given = forward[list(forward).index("--time-scale") + 1]
    return "auto" if given == "auto" else float(given)


def _schedule(members: list[Member], forward: Sequence[str], jobs: int) -> None:
    waiting, running = list(members), list[Member]()
    while waiting or running:
        while waiting and len(running) < jobs:
            member = waiting.pop(0)
            _start(member, forward)
            running.append(member)
        time.sleep(0.2)
        for member in list(running):
            assert member.proc is not None
            elapsed = time.monotonic() - member.started
            if member.proc.poll() is None and elapsed > member.limit_s:
                member.proc.send_signal(signal.SIGTERM)  # over its time: roll back, report
                member.limit_s = float("inf")
            if member.proc.poll() is not None:
                member.code, member.wall_s = member.proc.returncode, elapsed
                running.remove(member)
                print(
                    f"  done {member.path.stem}: exit {member.code} ({elapsed:.1f} s)", flush=True
                )


def _start(member: Member, forward: Sequence[str]) -> None:
    member.report_dir.mkdir(parents=True)
    argv = [sys.executable, "-m", "harness", "run", str(member.path), *forward]
    argv += ["--report-dir", str(member.report_dir)]
    with open(member.report_dir / "run.log", "wb") as log:
        member.proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # our Ctrl-C is handled here: each child gets a SIGTERM
            env={**os.environ, "HARNESS_LIVE": "plain"},
        )
    member.started = time.monotonic()


def _stop_all(members: list[Member]) -> None:
    """SIGTERM every child still running (each rolls back its chaos), then wait; kill stragglers."""
    live = [m for m in members if m.proc is not None and m.proc.poll() is None]
    for member in live:
        member.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
    deadline = time.monotonic() + STOP_GRACE_S
    for member in live:
        assert member.proc is not None
        try:
            member.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            member.proc.kill()
            member.proc.wait()
        member.code = ExitCode.INTERRUPTED
        member.wall_s = time.monotonic() - member.started


def _collect(member: Member) -> None:
    run_dir = member.run_dir()
    summary = None if run_dir is None else run_dir / "summary.json"
    if summary is not None and summary.is_file():
        member.summary = json.loads(summary.read_text())


def _since_chaos(summary: dict[str, Any], milestone: str) -> str:
    for row in summary.get("milestones", []):
        if row["milestone"] == milestone and row.get("since_chaos_s") is not None:
            return signed_duration(row["since_chaos_s"])
    return "-"


def table(members: list[Member], wall: float) -> str:
    """One row per scenario: verdict, exit code, detection and recovery, failed orders, wall."""
    head = f"{'scenario':<18} {'result':<12} {'exit':>4} {'detected':>9} {'recovered':>10}"
    head += f" {'failed':>6} {'wall':>7}  post-mortem"
    lines = [head]
    for m in members:
        status = str(m.summary.get("status", "no summary")).upper()
        html = (m.run_dir() or m.report_dir) / "postmortem.html"
        lines.append(
            f"{m.name:<18} {status:<12} {m.code if m.code is not None else '-':>4} "
            f"{_since_chaos(m.summary, 'alert firing'):>9} "
            f"{_since_chaos(m.summary, 'recovery confirmed'):>10} "
            f"{m.summary.get('failed_orders', '-'):>6} {m.wall_s:>6.1f}s  "
            f"{_short(html if html.is_file() else m.report_dir / 'run.log')}"
        )
    lines.append(f"{len(members)} scenarios in {wall:.1f} s wall")
    return "\n".join(lines)


def _short(path: Path) -> str:
    """A path relative to here when it is under here (shorter to read and to click)."""
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def write_junit(path: Path, members: list[Member]) -> None:
    """Each run's own junit.xml test suite, under one <testsuites>; a run that left none gets a
    test suite with one error naming its log."""
    root = ET.Element("testsuites", name="harness")
    for m in members:
        run_dir = m.run_dir()
        own = None if run_dir is None else run_dir / "junit.xml"
        if own is not None and own.is_file():
            suite = ET.parse(own).getroot()
        else:
            suite = ET.Element("testsuite", name=f"harness.{m.name}", tests="1", failures="0")
            case = ET.SubElement(suite, "testcase", classname=f"harness.{m.name}", name="run")
            why = f"exit {m.code}: no junit.xml written; see {m.report_dir / 'run.log'}"
            ET.SubElement(case, "error", message=why).text = why
        suite.set("time", f"{m.wall_s:.3f}")
        root.append(suite)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def suite_usage(service_flags: list[str]) -> None:
    if service_flags:
        raise UsageError(
            f"{', '.join(service_flags)} drive one team service: not with several scenarios",
            fix="run one scenario file at a time with your service's options",
        )

"""Whole runs of the fault gates: a latency brownout, a partial failure then an outage, and a
flapping factory each pass, and each negative control fails on the expectation it is built to
miss; the two overlapping faults are both in the timeline, and the post-mortem of a latency
incident speaks of slow orders and p95."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_runs import events, run

pytestmark = pytest.mark.slow


def checks(run_dir: Path) -> dict[str, bool]:
    summary = json.loads((run_dir / "summary.json").read_text())
    return {c["name"]: c["passed"] for c in summary["checks"]}


def test_the_latency_brownout_gate_passes_and_its_post_mortem_shows_slow_orders(
    tmp_path: Path,
) -> None:
    done, run_dir = run("latency-brownout", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert all(checks(run_dir).values())
    (armed,) = events(run_dir, "chaos_armed")
    assert (armed.type, armed.name, armed.ends_at_st) == ("latency", "slow-oven", 420.0)
    assert [e.how for e in events(run_dir, "chaos_ended")] == ["expired"]
    postmortem = (run_dir / "postmortem.md").read_text()
    summary = postmortem.split("## Summary")[1].split("##")[0]
    assert "no order failed" in summary and "were slow (p95 of answered orders" in summary
    assert "`slow-oven`: latency on 30%" in summary


@pytest.mark.parametrize(
    ("name", "missed"),
    [
        ("latency-brownout-missed", "detect_within"),
        ("partial-failure-missed", "detect_within"),
        ("flapping-missed", "detect_within"),
    ],
)
def test_each_negative_control_fails_on_its_expectation(
    tmp_path: Path, name: str, missed: str
) -> None:
    done, run_dir = run(name, tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    found = checks(run_dir)
    assert found[missed] is False
    assert found["no_alert_before_chaos"] and found["recover_within"]  # only the gate it targets


def test_partial_failure_then_fail_passes_and_records_both_overlapping_faults(
    tmp_path: Path,
) -> None:
    done, run_dir = run("partial-failure", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert {e.name for e in events(run_dir, "chaos_armed")} == {"partial-503", "fail"}
    started = {e.name: e.st for e in events(run_dir, "chaos_started")}
    ended = {e.name: (e.how, e.st) for e in events(run_dir, "chaos_ended")}
    assert set(started) == set(ended) == {"partial-503", "fail"}
    assert started["fail"] < ended["partial-503"][1]  # they overlapped
    assert ended["fail"][0] == "resolved" and ended["partial-503"][0] == "expired"
    recovered = events(run_dir, "recovered")[0]
    assert recovered.st >= max(st for _, st in ended.values())  # recovery waits for both


def test_the_flapping_gate_passes(tmp_path: Path) -> None:
    done, run_dir = run("flapping", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    outcomes = {e.outcome for e in events(run_dir, "order")}
    assert {"ok", "failed"} <= outcomes  # on, off, on, off
    assert [e.how for e in events(run_dir, "chaos_ended")] == ["expired"]


def test_validate_accepts_every_fault_gate() -> None:
    names = ["latency-brownout", "partial-failure", "flapping"]
    paths = [f"scenarios/{n}{suffix}.yaml" for n in names for suffix in ("", "-missed")]
    done = subprocess.run(
        [sys.executable, "-m", "harness", "validate", *paths],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr

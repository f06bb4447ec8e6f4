"""The bench's suite rows: the shipped scenarios' wall time as one suite gate (`harness run` on
the folder, runs at once) beside the same scenarios one after another (`--jobs 1`), in the same
bench run so both see the same machine. Target: the suite in under 30 s of wall time."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.scenario_files import SHIPPED, shipped_names
from harness.suite import default_jobs

TARGET_S = 30.0


@dataclass(frozen=True)
class SuiteTimes:
    scenarios: int
    jobs: int
    concurrent_s: float
    sequential_s: float
    worst_exit: tuple[int, int]  # (concurrent, sequential): the shipped set fails on purpose (1)

    @property
    def ratio(self) -> float:
        return self.concurrent_s / self.sequential_s if self.sequential_s else 0.0

    def lines(self) -> list[str]:
        verdict = "PASS" if self.concurrent_s < TARGET_S else "FAIL"
        return [
            f"suite gate: the {self.scenarios} shipped scenarios (wall time, one bench run)",
            f"  {'concurrently, ' + str(self.jobs) + ' at a time':<40} {self.concurrent_s:7.1f} s"
            f"   target < {TARGET_S:g} s  {verdict}",
            f"  {'one after another (--jobs 1)':<40} {self.sequential_s:7.1f} s",
            f"  {'concurrent / one after another':<40} {self.ratio:7.2f}",
        ]

    def to_json(self) -> dict[str, object]:
        return {
            "scenarios": self.scenarios,
            "jobs": self.jobs,
            "concurrent_s": round(self.concurrent_s, 2),
            "sequential_s": round(self.sequential_s, 2),
            "ratio": round(self.ratio, 3),
            "target_s": TARGET_S,
            "worst_exit": list(self.worst_exit),
        }


def timed_suite(work: Path, jobs: int) -> tuple[float, int]:
    """Wall seconds and exit code of `harness run <shipped>/ --jobs N` (bounded: 15 minutes)."""
    argv = [sys.executable, "-m", "harness", "run", str(SHIPPED), "--jobs", str(jobs)]
    began = time.monotonic()
    with open(work / f"suite-jobs{jobs}.log", "wb") as log:
        done = subprocess.run(
            [*argv, "--report-dir", str(work / f"jobs{jobs}")],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=900,
        )
    return time.monotonic() - began, done.returncode


def measure_suite(work: Path, say: Callable[[str], None]) -> SuiteTimes:
    jobs = default_jobs(len(shipped_names()))  # what `harness run scenarios/` does by default
    say(f"suite: the shipped scenarios, {jobs} at a time")
    concurrent, code_c = timed_suite(work, jobs)
    say(f"suite: {concurrent:.1f} s; now one after another")
    sequential, code_s = timed_suite(work, 1)
    return SuiteTimes(len(shipped_names()), jobs, concurrent, sequential, (code_c, code_s))

"""`harness_run(scenario, **overrides)`: one whole run from a test, and its typed verdict."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.scenario_files import find_scenario


@dataclass(frozen=True)
class CheckResult:
    """One expectation: measured against its limit (scenario seconds, or orders)."""

    name: str
    passed: bool
    measured: float | None
    limit: float | None
    detail: str

    def __str__(self) -> str:
        return f"{'PASS' if self.passed else 'FAIL'} {self.name}: {self.detail}"

    def brief(self) -> str:
        """`detect_within 89.9 s (limit 10 s)`, or the detail when nothing was measured."""
        if self.measured is None or self.limit is None:
            return f"{self.name}: {self.detail}"
        unit = " s" if self.name.endswith("_within") else ""
        return f"{self.name} {self.measured:g}{unit} (limit {self.limit:g}{unit})"


@dataclass(frozen=True, repr=False)
class Verdict:
    """What a run decided, read back from its `summary.json`.

    `assert verdict.passed, verdict` names the failed expectations and the run folder on one
    line (pytest shows the run's whole summary under "Captured stdout"); `str(verdict)` is that
    summary: milestones, every check, the run folder.
    """

    scenario: str
    status: str  # passed, failed, error or interrupted
    exit_code: int  # 0 passed, 1 an expectation failed, 3 harness error, 4 interrupted
    reason: str
    checks: tuple[CheckResult, ...]
    failed_orders: int
    run_dir: Path
    summary: dict[str, Any] = field(compare=False)

    @classmethod
    def from_run_dir(cls, run_dir: Path) -> Verdict:
        data = json.loads((run_dir / "summary.json").read_text())
        return cls(
            scenario=data["scenario"],
            status=data["status"],
            exit_code=data["exit_code"],
            reason=data["reason"],
            checks=tuple(CheckResult(**{k: c[k] for k in _CHECK_FIELDS}) for c in data["checks"]),
            failed_orders=data["failed_orders"],
            run_dir=run_dir,
            summary=data,
        )

    @property
    def passed(self) -> bool:
        return self.exit_code == 0

    @property
    def failed_checks(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]

    def check(self, name: str) -> CheckResult:
        """The check called `name` (KeyError lists the checks the run made)."""
        for found in self.checks:
            if found.name == name:
                return found
        raise KeyError(f"no check {name!r} in this run: {[c.name for c in self.checks]}")

    def __bool__(self) -> bool:  # `assert verdict` means the run passed, never "it exists"
        return self.passed

    def __str__(self) -> str:
        from harness.results import render

        return render(self.summary)

    def __repr__(self) -> str:
        why = "; ".join(c.brief() for c in self.failed_checks) if self.failed_checks else ""
        if not why and not self.passed:
            why = self.reason
        return (
            f"Verdict({self.scenario!r} {self.status}, exit {self.exit_code}"
            f"{': ' + why if why else ''}; run folder {self.run_dir})"
        )


_CHECK_FIELDS = ("name", "passed", "measured", "limit", "detail")


class HarnessRun:
    """The `harness_run` fixture: `harness_run("seed-incident", expect__detect_within="2m")`.

    Overrides are scenario fields, nested with a double underscore, validated like the file
    (a bad one raises ScenarioError naming the field). Each run's folder goes under
    `report_dir`; `verdicts` keeps every verdict of the test, in order.
    """

    def __init__(self, rootdir: Path, report_dir: Path, time_scale: float | None = None) -> None:
        self.rootdir, self.report_dir, self.time_scale = rootdir, report_dir, time_scale
        self.verdicts: list[Verdict] = []

    def __call__(self, scenario: str | os.PathLike[str], **overrides: Any) -> Verdict:
        from harness.runner import run_scenario_result  # the runner loads only when used

        path = find_scenario(scenario, self.rootdir)
        if self.time_scale is not None:
            overrides.setdefault("time_scale", self.time_scale)
        result = run_scenario_result(path, report_dir=self.report_dir, overrides=overrides)
        verdict = Verdict.from_run_dir(result.run_dir)
        self.verdicts.append(verdict)
        if verdict.status == "interrupted":  # Ctrl-C: rolled back; now stop the session too
            raise KeyboardInterrupt(f"harness run interrupted; run folder {result.run_dir}")
        return verdict

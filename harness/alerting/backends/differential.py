"""The same scenarios on both alerting backends, firing times side by side.

    python -m harness.alerting.backends.differential [SCENARIO ...] [--report-dir DIR]

runs each scenario (default: seed-incident, throttle, badjwt) with `harness run --alerting
builtin` and then `--alerting prometheus`, one after the other, and prints a Markdown table of
when the first alert fired (scenario time, and after the chaos started) on each, their
difference, and the tolerance: one evaluation interval plus one scrape interval.
Exit 0 when every run passed and every difference is within its tolerance.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness.scenario import load_scenario
from harness.timeline import read_timeline

BACKENDS = ("builtin", "prometheus")
DEFAULT = ("seed-incident", "throttle", "badjwt")


@dataclass(frozen=True)
class Run:
    backend: str
    exit_code: int
    stdout: str
    run_dir: Path
    firing_st: float | None  # the first alert firing, scenario seconds
    chaos_st: float | None  # the factory's first affected order


def run(
    scenario: Path,
    backend: str,
    report_dir: Path,
    timeout_s: float = 300,
    time_scale: float | None = None,
) -> Run:
    """`harness run SCENARIO --alerting BACKEND` in a fresh folder under `report_dir`."""
    out = Path(tempfile.mkdtemp(prefix=f"{scenario.stem}-{backend}-", dir=report_dir))
    argv = [sys.executable, "-m", "harness", "run", str(scenario.resolve())]
    argv += ["--alerting", backend, "--report-dir", str(out)]
    argv += [] if time_scale is None else ["--time-scale", str(time_scale)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s)
    run_dirs = [p for p in out.iterdir() if p.is_dir()]
    if len(run_dirs) != 1:
        raise RuntimeError(f"no run folder in {out}:\n{done.stdout}\n{done.stderr}")
    events = read_timeline(run_dirs[0] / "timeline.jsonl")
    firing = next((e.st for e in events if e.kind == "alert" and e.state_to == "firing"), None)
    chaos = next((e.st for e in events if e.kind == "chaos_started"), None)
    return Run(backend, done.returncode, done.stdout + done.stderr, run_dirs[0], firing, chaos)


def tolerance_s(scenario: Path) -> float:
    """One evaluation interval plus one scrape interval, scenario seconds."""
    alerting = load_scenario(scenario).alerting
    return alerting.evaluation_interval + alerting.scrape_interval


def _cell(r: Run) -> str:
    if r.firing_st is None:
        return f"never (exit {r.exit_code})"
    after = "" if r.chaos_st is None else f", +{r.firing_st - r.chaos_st:.1f} s after chaos"
    return f"{r.firing_st:.1f} s{after} (exit {r.exit_code})"


def table(rows: list[tuple[Path, Run, Run]]) -> str:
    lines = [
        "| scenario | built-in firing | Prometheus firing | difference | tolerance |",
        "| --- | --- | --- | --- | --- |",
    ]
    for scenario, builtin, prom in rows:
        if builtin.firing_st is None or prom.firing_st is None:
            diff = "n/a"
        else:
            diff = f"{prom.firing_st - builtin.firing_st:+.1f} s"
        lines.append(
            f"| {scenario.stem} | {_cell(builtin)} | {_cell(prom)} | {diff} | "
            f"{tolerance_s(scenario):g} s |"
        )
    return "\n".join(lines)


def agree(builtin: Run, prom: Run, tolerance: float) -> bool:
    if builtin.firing_st is None or prom.firing_st is None:
        return builtin.firing_st is None and prom.firing_st is None
    return abs(prom.firing_st - builtin.firing_st) <= tolerance


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("scenarios", nargs="*", type=Path)
    parser.add_argument("--report-dir", type=Path, default=Path("reports"))
    parser.add_argument("--time-scale", type=float, default=None, help="override the files'")
    args = parser.parse_args(argv)
    scenarios = args.scenarios or [Path("scenarios") / f"{n}.yaml" for n in DEFAULT]
    args.report_dir.mkdir(parents=True, exist_ok=True)
    rows, ok = [], True
    for scenario in scenarios:
        builtin, prom = (
            run(scenario, backend, args.report_dir, time_scale=args.time_scale)
            for backend in BACKENDS
        )
        print(f"{scenario.stem}: {_cell(builtin)} | {_cell(prom)}", file=sys.stderr, flush=True)
        rows.append((scenario, builtin, prom))
        ok &= builtin.exit_code == prom.exit_code == 0
        ok &= agree(builtin, prom, tolerance_s(scenario))
    print(table(rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The same scenarios on both alerting backends, firing times side by side.

    python -m harness.alerting.backends.differential [SCENARIO ...] [--report-dir DIR]

runs each scenario (default: seed-incident, throttle, badjwt) with `harness run --alerting
builtin` and then `--alerting prometheus`, one after the other, and prints a Markdown table of
when the first alert fired on each (scenario time, and after the run's onset), the difference
of the delays, and the tolerance: one evaluation interval plus one scrape interval.
Exit 0 when every run passed and every difference is within its tolerance.

The two runs are separate, so their diners' think times fall differently: in one the third
failed order came 6 s after the chaos, in the other 21 s. The engines are compared on their
delay from the run's own onset, the answer of the N-th affected order (not `ok`) after the
chaos started, N being what the rule needs to be true (3 for seed-incident's `>= 3`; 1 for
any scenario not in ONSET_ORDERS). A run without a `chaos_started` event has no onset: the
pair then fails, shown as "no onset".
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from harness.scenario import load_scenario
from harness.timeline import Order, read_timeline

BACKENDS = ("builtin", "prometheus")
DEFAULT = ("seed-incident", "throttle", "badjwt")
# How many affected orders the scenario's first rule needs before it can be true.
ONSET_ORDERS = {"seed-incident": 3}


@dataclass(frozen=True)
class Run:
    backend: str
    exit_code: int
    stdout: str
    run_dir: Path
    firing_st: float | None  # the first alert firing, scenario seconds
    chaos_st: float | None  # the factory's first affected order
    affected_st: tuple[float, ...] = ()  # answers of the orders that were not `ok`, after chaos

    def onset(self, orders: int) -> float | None:
        """When the `orders`-th affected order was answered: the rule could be true from then."""
        return self.affected_st[orders - 1] if len(self.affected_st) >= orders else None

    def delay(self, orders: int) -> float | None:
        """Firing, counted from the onset."""
        onset = self.onset(orders)
        return None if onset is None or self.firing_st is None else self.firing_st - onset


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
    affected = tuple(
        sorted(
            e.st
            for e in events
            if isinstance(e, Order) and e.outcome != "ok" and chaos is not None and e.st >= chaos
        )
    )
    output = done.stdout + done.stderr
    return Run(backend, done.returncode, output, run_dirs[0], firing, chaos, affected)


def onset_orders(scenario: Path) -> int:
    return ONSET_ORDERS.get(scenario.stem, 1)


def tolerance_s(scenario: Path) -> float:
    """One evaluation interval plus one scrape interval, scenario seconds."""
    alerting = load_scenario(scenario).alerting
    return alerting.evaluation_interval + alerting.scrape_interval


def _cell(r: Run, orders: int) -> str:
    if r.firing_st is None:
        return f"never (exit {r.exit_code})"
    onset, delay = r.onset(orders), r.delay(orders)
    after = ", no onset" if delay is None else f", {delay:+.1f} s after onset {onset:.1f} s"
    return f"{r.firing_st:.1f} s{after} (exit {r.exit_code})"


def table(rows: list[tuple[Path, Run, Run]]) -> str:
    lines = [
        "| scenario | built-in firing | Prometheus firing | difference of delays | tolerance |",
        "| --- | --- | --- | --- | --- |",
    ]
    for scenario, builtin, prom in rows:
        orders = onset_orders(scenario)
        b, p = builtin.delay(orders), prom.delay(orders)
        diff = "n/a" if b is None or p is None else f"{p - b:+.1f} s"
        lines.append(
            f"| {scenario.stem} | {_cell(builtin, orders)} | {_cell(prom, orders)} | {diff} | "
            f"{tolerance_s(scenario):g} s |"
        )
    return "\n".join(lines)


def agree(builtin: Run, prom: Run, tolerance: float, orders: int = 1) -> bool:
    """Both never fired, or both fired with delays from their own onsets within `tolerance`."""
    if builtin.firing_st is None or prom.firing_st is None:
        return builtin.firing_st is None and prom.firing_st is None
    b, p = builtin.delay(orders), prom.delay(orders)
    return b is not None and p is not None and abs(p - b) <= tolerance


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
        orders = onset_orders(scenario)
        print(f"{scenario.stem}: {_cell(builtin, orders)} | {_cell(prom, orders)}", file=sys.stderr)
        rows.append((scenario, builtin, prom))
        ok &= builtin.exit_code == prom.exit_code == 0
        ok &= agree(builtin, prom, tolerance_s(scenario), orders)
    print(table(rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""`harness run SCENARIO` and `harness validate SCENARIO`."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.errors import ExitCode


def register(commands: argparse._SubParsersAction, servers: argparse._SubParsersAction) -> None:
    run = commands.add_parser(
        "run",
        help="run a scenario end to end and judge it",
        description="Replay a factory incident: exit 0 if every "
        "expectation was met, 1 if one failed, 2 bad scenario, "
        "3 harness error, 4 interrupted.",
    )
    run.add_argument("scenario", type=Path, help="a scenario file (scenarios/*.yaml)")
    run.add_argument(
        "--time-scale",
        type=float,
        default=None,
        help="run N times faster than real time (overrides the file's time_scale)",
    )
    run.add_argument(
        "--alerting",
        choices=["builtin", "prometheus"],
        default=None,
        help="alerting backend: the built-in evaluator, or a real Prometheus + Alertmanager "
        "(Debian's binaries); overrides the file's alerting.backend",
    )
    run.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        help="where the run folder goes (default reports/)",
    )
    run.set_defaults(run=_run)
    validate = commands.add_parser("validate", help="check scenario files without running them")
    validate.add_argument("scenarios", type=Path, nargs="+", help="scenario files")
    validate.set_defaults(run=_validate)


def _run(args: argparse.Namespace) -> int:
    from harness.runner import run_scenario

    return run_scenario(
        args.scenario,
        time_scale=args.time_scale,
        report_dir=args.report_dir,
        alerting=args.alerting,
    )


def _validate(args: argparse.Namespace) -> int:
    from harness.scenario import load_scenario

    for path in args.scenarios:
        scenario = load_scenario(path)
        print(
            f"{path}: ok ({scenario.name}, chaos {scenario.chaos.type}, "
            f"{len(scenario.alerting.rules)} alert rules, time scale {scenario.time_scale}x)"
        )
    return ExitCode.OK

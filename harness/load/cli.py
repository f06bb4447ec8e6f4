"""The `harness load` command."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.durations import parse_duration
from harness.runner.cli import processes_arg


def _duration(text: str) -> float:
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError("a step lasts more than 0 s")
    return seconds


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("give at least 1")
    return value


def register(commands: argparse._SubParsersAction, servers: argparse._SubParsersAction) -> None:
    load = commands.add_parser(
        "load",
        help="load test: ramp diners until an expectation breaks, healthy and degraded",
        description="Ramp diners by steps until p95 order latency or the error ratio breaks the "
        "scenario's load expectations, with a healthy factory and with each degradation; write "
        "the capacity table (capacity.md, capacity.json) to the run folder. Exit 0 done, 1 the "
        "healthy capacity is below load.expect.min_capacity, 2 bad scenario, 3 harness error, "
        "4 interrupted.",
    )
    load.add_argument("scenario", type=Path, help="a scenario file; its `load:` section is used")
    load.add_argument(
        "--only",
        action="append",
        metavar="NAME[,NAME]",
        help="run only these configurations (healthy, or a degradation's name); repeatable",
    )
    load.add_argument(
        "--step-time", type=_duration, metavar="DURATION", help="each step lasts this (e.g. 5s)"
    )
    load.add_argument("--max-diners", type=_positive, metavar="N", help="stop the ramp at N diners")
    load.add_argument(
        "--processes",
        type=processes_arg,
        metavar="N",
        help="run the diners in N Locust worker processes under a master on 127.0.0.1 "
        "(1: one plain Locust process; default: the scenario's load.processes, 1)",
    )
    load.add_argument(
        "--report-dir", type=Path, default=Path("reports"), help="where the run folder goes"
    )
    load.add_argument(
        "--web",
        action="store_true",
        help="instead of the headless ramp: Locust's own web UI on 127.0.0.1 against one "
        "configuration (--only NAME, default healthy) until Ctrl-C",
    )
    load.add_argument(
        "--web-port", type=_positive, metavar="PORT", help="the web UI's port (default: a free one)"
    )
    load.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    if args.web and args.processes not in (None, 1):
        from harness.errors import UsageError

        raise UsageError("--web runs Locust's web UI in one process", fix="leave out --processes")
    if args.web:
        from harness.load.web import run_web

        return run_web(
            args.scenario,
            only=args.only,
            max_diners=args.max_diners,
            port=args.web_port,
            report_dir=args.report_dir,
        )
    from harness.load.run import run_load

    return run_load(
        args.scenario,
        only=args.only,
        step_time=args.step_time,
        max_diners=args.max_diners,
        processes=args.processes,
        report_dir=args.report_dir,
    )

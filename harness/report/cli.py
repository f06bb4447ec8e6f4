"""`harness report RUN_DIR`: rebuild a run's post-mortem, charts, summary.json and junit.xml."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.errors import ExitCode


def register(commands: argparse._SubParsersAction, servers: argparse._SubParsersAction) -> None:
    report = commands.add_parser(
        "report",
        help="rebuild a run's post-mortem from its timeline",
        description="Rebuild postmortem.md, postmortem.html, timechart.png, logerrors.png, "
        "summary.json and junit.xml of a run folder from its timeline.jsonl alone.",
    )
    report.add_argument("run_dir", type=Path, help="a run folder (reports/<date>-<time>-<name>)")
    report.set_defaults(run=_report)


def _report(args: argparse.Namespace) -> int:
    from harness.report import rebuild

    for path in rebuild(args.run_dir):
        print(path)
    return ExitCode.OK

"""`harness gameday SCENARIO`, and the people's `harness ack`, `harness resolve URL` and
`harness abort`."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path


def register(commands: argparse._SubParsersAction, servers: argparse._SubParsersAction) -> None:
    gameday = commands.add_parser(
        "gameday",
        help="run a scenario in real time for people to respond to",
        description="A game day: the chaos starts unannounced in a window; people respond "
        "with `harness ack`, `harness resolve URL` and `harness abort` from another terminal. "
        "Exit codes as `harness run` (4 when aborted).",
    )
    gameday.add_argument("scenario", type=Path, help="a scenario file (scenarios/*.yaml)")
    gameday.add_argument(
        "--time-scale",
        type=float,
        default=None,
        help="run N times faster (default 1: real time; the file's time_scale is not used)",
    )
    gameday.add_argument(
        "--window",
        default=None,
        help="chaos starts at a random moment of MIN-MAX scenario time, e.g. 2m-10m "
        "(default: the first fault's chaos window, else 2m-10m)",
    )
    gameday.add_argument(
        "--seed", type=int, default=None, help="seed of the chaos start (default: a fresh one)"
    )
    gameday.add_argument(
        "--autoreport", action="store_true", help="let the auto-reporter call the report URL too"
    )
    _report_dir(gameday)
    gameday.add_argument(
        "--no-dashboard",
        action="store_true",
        help="plain progress lines instead of the live dashboard (the default off a terminal)",
    )
    gameday.set_defaults(run=_gameday)

    ack = commands.add_parser("ack", help="acknowledge the page of the running game day")
    _person(ack)
    ack.set_defaults(run=_ack)
    resolve = commands.add_parser(
        "resolve", help="have the running game day call a factory report URL (exit 1: unresolved)"
    )
    resolve.add_argument("url", help="the report URL, as found in the service's logs or answers")
    _person(resolve)
    resolve.set_defaults(run=_resolve)
    abort = commands.add_parser("abort", help="roll the running game day back and end it")
    _person(abort)
    abort.set_defaults(run=_abort)


def _report_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        help="the game day's report folder, holding gameday.json (default reports/)",
    )


def _person(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--who", default=None, help="your name, for the timeline (default: your OS user name)"
    )
    _report_dir(parser)


def _who(args: argparse.Namespace) -> str:
    return str(args.who or getpass.getuser())


def _gameday(args: argparse.Namespace) -> int:
    from harness.gameday.run import parse_window, run_gameday

    return run_gameday(
        args.scenario,
        time_scale=args.time_scale,
        window=None if args.window is None else parse_window(args.window),
        seed=args.seed,
        autoreport=args.autoreport,
        report_dir=args.report_dir,
        dashboard=False if args.no_dashboard else None,
    )


def _ack(args: argparse.Namespace) -> int:
    from harness.gameday.commands import acknowledge

    return acknowledge(args.report_dir, _who(args))


def _resolve(args: argparse.Namespace) -> int:
    from harness.gameday.commands import resolve

    return resolve(args.report_dir, args.url, _who(args))


def _abort(args: argparse.Namespace) -> int:
    from harness.gameday.commands import abort

    return abort(args.report_dir, _who(args))

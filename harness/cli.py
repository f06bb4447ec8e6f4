"""The `harness` command: one entry point for every use (`python -m harness` works too).

Errors from the harness print their message and fix and exit with the error's code
(see harness.errors.ExitCode); a traceback only ever means a bug in the harness.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
from collections.abc import Sequence

from harness.errors import ExitCode, HarnessError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run one of the harness's servers")
    servers = serve.add_subparsers(dest="server", required=True)
    for module in COMMAND_MODULES:
        importlib.import_module(module).register(commands, servers)
    return parser


# Each of these modules adds its own commands with `register(commands, servers)`.
COMMAND_MODULES = (
    "harness.factory.cli",
    "harness.service.cli",
    "harness.runner.cli",
    "harness.report.cli",
    "harness.gameday.cli",
    "harness.demo",
    "harness.load.cli",
    "harness.alerting.grafana.cli",
)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    # SIGTERM unwinds like Ctrl-C, so every `with` block stops its servers and clears chaos.
    signal.signal(signal.SIGTERM, _interrupt)
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        return int(ExitCode.INTERRUPTED)

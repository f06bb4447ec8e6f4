"""`python -m harness.traffic CONFIG.json`: run diner traffic (Locust) as its own process.

    0  the run ended and every order attempt is accounted for (whatever the service answered)
    2  the config is invalid: the message names the file, the field and the fix
    3  the accounting does not add up, or Locust failed (the summary says why)

SIGTERM or SIGINT stops the diners gracefully, writes the summary and exits 0. This module does
not import locust: Locust runs in a child process (see supervise.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.errors import ConfigError, ExitCode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.traffic",
        description="Run diner traffic (Locust) against a pizza service, classify every order "
        "attempt, and write the events file and the summary named in CONFIG.",
    )
    parser.add_argument("config", type=Path, help="the traffic config (JSON, see TrafficConfig)")
    parser.add_argument(
        "--check", action="store_true", help="only validate the config, then exit 0 or 2"
    )
    parser.add_argument(
        "--web-port",
        type=int,
        default=None,
        help="serve Locust's own web UI on 127.0.0.1:PORT instead of running headless",
    )
    args = parser.parse_args(argv)
    if args.web_port is not None and not 0 < args.web_port < 65536:
        parser.error(f"--web-port {args.web_port}: give a TCP port, 1-65535")

    from harness.traffic.config import TrafficConfig
    from harness.traffic.supervise import Supervisor

    try:
        config = TrafficConfig.load(args.config)
    except ConfigError as exc:
        print(f"traffic: bad config: {exc}", file=sys.stderr)
        return ExitCode.USAGE_ERROR
    if args.check:
        print(f"traffic: {args.config} is a valid traffic config")
        return ExitCode.OK
    return Supervisor(config, args.config, web_port=args.web_port).run()


if __name__ == "__main__":
    sys.exit(main())

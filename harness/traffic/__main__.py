"""`python -m harness.traffic CONFIG.json`: run diner traffic (Locust) as its own process.

    0  the run ended and every order attempt is accounted for (whatever the service answered)
    2  the config is invalid: the message names the file, the field and the fix
    3  the accounting does not add up, or Locust failed (the summary says why)

SIGTERM or SIGINT stops the diners gracefully, writes the summary and exits 0. This module does
not import locust: Locust runs in a child process (see supervise.py).

Across machines, every machine runs the same CONFIG.json (the workers check it):
    python -m harness.traffic CONFIG.json --master --master-bind-host IP --expect-workers N
    python -m harness.traffic CONFIG.json --worker --master-host IP      (on each worker machine)
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
    _add_cluster_options(parser)
    parser.add_argument(
        "--web-port",
        type=int,
        default=None,
        help="serve Locust's own web UI on 127.0.0.1:PORT instead of running headless",
    )
    args = parser.parse_args(argv)
    if args.web_port is not None and not 0 < args.web_port < 65536:
        parser.error(f"--web-port {args.web_port}: give a TCP port, 1-65535")
    if args.web_port is not None and (args.master or args.worker):
        parser.error("--web-port runs Locust's web UI in one process: not with --master/--worker")
    if args.master and not args.master_bind_host:
        parser.error("--master needs --master-bind-host: the address the workers connect to")
    if args.worker and not args.master_host:
        parser.error("--worker needs --master-host: the address of the master")

    from harness.traffic.cluster import Cluster
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
    if args.web_port is not None and config.processes > 1:
        print("traffic: --web-port runs in one process: set processes 1", file=sys.stderr)
        return ExitCode.USAGE_ERROR
    cluster = None
    if args.master:
        cluster = Cluster("master", args.expect_workers, args.master_bind_host, args.port)
    elif args.worker:
        cluster = Cluster("worker", 0, args.master_host, args.port)
    return Supervisor(config, args.config, cluster, web_port=args.web_port).run()


def _add_cluster_options(parser: argparse.ArgumentParser) -> None:
    """`--master` / `--worker`: one traffic run over several machines (see cluster.py)."""
    from harness.traffic.cluster import DEFAULT_MASTER_PORT

    group = parser.add_argument_group("over several machines (default: config's processes)")
    role = group.add_mutually_exclusive_group()
    role.add_argument(
        "--master",
        action="store_true",
        help="run the Locust master only; the workers run elsewhere with --worker",
    )
    role.add_argument(
        "--worker", action="store_true", help="run one Locust worker of the master --master-host"
    )
    group.add_argument(
        "--master-bind-host", help="with --master: the address to listen on (required)"
    )
    group.add_argument(
        "--expect-workers",
        type=int,
        default=1,
        metavar="N",
        help="with --master: start once N workers are connected, split the budget N ways",
    )
    group.add_argument("--master-host", help="with --worker: the master's address (required)")
    group.add_argument(
        "--master-port",
        "--master-bind-port",
        dest="port",
        type=int,
        default=DEFAULT_MASTER_PORT,
        help=f"the master's port (default {DEFAULT_MASTER_PORT})",
    )


if __name__ == "__main__":
    sys.exit(main())

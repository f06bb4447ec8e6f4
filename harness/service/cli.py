"""`harness serve service`: the command line of the reference pizza service."""

from __future__ import annotations

import argparse

from harness.errors import ExitCode
from harness.service.config import DEFAULT_REPORT_FIELD, MEMORY_DB, TRANSPORTS, ServiceConfig


def register(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    servers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Adds `service` under `harness serve` (this module adds no top-level command)."""
    p = servers.add_parser(
        "service",
        help="the reference JWT Pizza service",
        description="Serve the reference pizza service: the real service's diner API, relaying "
        "orders to a factory, with /metrics and JSON logs.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8091, help="port (default 8091)")
    p.add_argument("--factory-url", default="", help="the factory's base URL (required)")
    p.add_argument("--factory-key", default="", help="the vendor API key (required)")
    p.add_argument("--db", default=MEMORY_DB, help=f"SQLite file (default {MEMORY_DB})")
    p.add_argument(
        "--report-field",
        default=DEFAULT_REPORT_FIELD,
        help=f"name of the report URL field in order answers (default {DEFAULT_REPORT_FIELD})",
    )
    p.add_argument(
        "--factory-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="give up on a factory call after this long (default: wait forever, like the real one)",
    )
    p.add_argument(
        "--factory-transport",
        default="aiohttp",
        choices=TRANSPORTS,
        help="HTTP client pool to the factory (default aiohttp)",
    )
    p.add_argument("--jwt-secret", default=None, help="secret of diner tokens (default: random)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--log-file", default=None, help="write the JSON log lines here, not stdout")
    p.add_argument(
        "--quiet-logs", action="store_true", help="log only factory calls (for load tests)"
    )
    p.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="report durations multiplied by this (a compressed run's scenario time; default 1)",
    )
    p.add_argument("--otlp-url", default=None, help="push metrics (OTLP JSON) to URL/v1/metrics")
    p.add_argument("--loki-url", default=None, help="push log lines to URL/loki/api/v1/push")
    p.add_argument(
        "--push-interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="seconds between pushes (default 1)",
    )
    p.add_argument("--push-auth", default=None, metavar="USER:KEY", help="basic auth of pushes")
    p.set_defaults(run=_serve_service)


def config_from_args(args: argparse.Namespace) -> ServiceConfig:
    config = ServiceConfig(
        factory_url=args.factory_url,
        factory_key=args.factory_key,
        host=args.host,
        port=args.port,
        db=args.db,
        report_field=args.report_field,
        factory_timeout_s=args.factory_timeout,
        factory_transport=args.factory_transport,
        workers=args.workers,
        log_file=args.log_file,
        quiet_logs=args.quiet_logs,
        time_scale=args.time_scale,
        otlp_url=args.otlp_url,
        loki_url=args.loki_url,
        push_interval_s=args.push_interval,
        push_auth=args.push_auth,
    )
    if args.jwt_secret is not None:
        config.jwt_secret = args.jwt_secret
    return config.validate()


def _serve_service(args: argparse.Namespace) -> int:
    from harness.service.server import serve

    serve(config_from_args(args))
    return ExitCode.OK

"""`harness serve factory`: the mock factory's command line."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.errors import ExitCode
from harness.factory.config import DEFAULT_ORDER_DELAY_MS, ChaosStart, FactoryConfig, new_vendor_key


def register(commands: argparse._SubParsersAction, servers: argparse._SubParsersAction) -> None:
    p = servers.add_parser(
        "factory",
        help="the mock JWT Pizza Factory (Headquarters)",
        description="Serve the mock factory: the real API plus /admin control.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8090, help="port (default 8090; 0 picks one)")
    p.add_argument("--vendor-id", default="pizza-vendor", help="the vendor's id")
    p.add_argument("--vendor-name", default="Pizza Vendor", help="name in pizza JWTs")
    p.add_argument("--vendor-key", default=None, help="the vendor's API key (default: random)")
    p.add_argument("--admin-token", default=None, help="control-plane token (default: random)")
    p.add_argument(
        "--chaos-start",
        default="tomorrow",
        help="when chaos armed through PUT /api/vendor/chaos/:type begins: tomorrow "
        "(08:00-13:59 Mountain next day, like the real factory), now, "
        "after:SECONDS, window:MIN_S-MAX_S (default tomorrow)",
    )
    p.add_argument(
        "--order-delay-ms",
        type=int,
        default=DEFAULT_ORDER_DELAY_MS,
        help="delay of throttled and oversized orders (default 32000)",
    )
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--state-dir", default=None, help="keep the shared state and key here")
    p.add_argument("--seed", type=int, default=None, help="seed for random start times and faults")
    p.set_defaults(run=_serve_factory)


def _serve_factory(args: argparse.Namespace) -> int:
    from harness.factory.server import serve

    config = FactoryConfig(
        host=args.host,
        port=args.port,
        vendor_id=args.vendor_id,
        vendor_name=args.vendor_name,
        vendor_key=args.vendor_key or new_vendor_key(),
        chaos_start=ChaosStart.parse(args.chaos_start),
        order_delay_ms=args.order_delay_ms,
        workers=args.workers,
        state_dir=Path(args.state_dir) if args.state_dir else None,
        seed=args.seed,
    )
    if args.admin_token:
        config.admin_token = args.admin_token
    serve(config)
    return ExitCode.OK

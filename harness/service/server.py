"""Runs the service under uvicorn, with one worker or several sharing one SQLite file.

Workers are uvicorn's own processes; each rebuilds the app from the config passed in an
environment variable (the JWT secret included, so a token from one worker is good at all).
Each worker has its own metrics registry: /metrics shows the worker that answered it.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict

import uvicorn
from starlette.applications import Starlette

from harness.service.app import create_app
from harness.service.config import ServiceConfig
from harness.service.db import open_db

CONFIG_ENV = "HARNESS_SERVICE_CONFIG"


def app_from_env() -> Starlette:
    """uvicorn's app factory for worker processes."""
    return create_app(ServiceConfig(**json.loads(os.environ[CONFIG_ENV])))


def banner(config: ServiceConfig) -> str:
    timeout = "none" if config.factory_timeout_s is None else f"{config.factory_timeout_s:g} s"
    return "\n".join(
        [
            f"JWT Pizza Service (reference) on {config.url}  workers={config.workers}",
            f"  factory       {config.factory_url}  "
            f"(transport {config.factory_transport}, timeout {timeout})",
            f"  db            {config.db}",
            f"  report field  {config.report_field}",
            "  admin         a@jwt.com / admin",
            f"  metrics       {config.url}/metrics",
        ]
    )


def serve(config: ServiceConfig) -> None:
    """Serve until SIGINT/SIGTERM."""
    config.validate()
    common = dict(
        host=config.host,
        port=config.port,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=2,
    )
    if config.workers == 1:
        app = create_app(config)
        print(banner(config), file=sys.stderr, flush=True)
        uvicorn.run(app, **common)  # type: ignore[arg-type]
        return
    open_db(config.db).close()  # create and seed the file once, before the workers race to
    os.environ[CONFIG_ENV] = json.dumps(asdict(config))
    print(banner(config), file=sys.stderr, flush=True)
    uvicorn.run(f"{__name__}:app_from_env", factory=True, workers=config.workers, **common)  # type: ignore[arg-type]

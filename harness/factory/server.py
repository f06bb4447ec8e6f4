"""Runs the factory under uvicorn, with one or several worker processes sharing one state.

Workers are uvicorn's own (`workers=N`, spawned processes on one socket). They rebuild the app
from the config passed in an environment variable and share the SQLite state and the signing key
through the state directory, so chaos has one source of truth.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import struct
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from harness.factory import watchdog
from harness.factory.app import create_app
from harness.factory.config import ChaosStart, FactoryConfig

CONFIG_ENV = "HARNESS_FACTORY_CONFIG"
PROTOCOL = "harness.factory.server:AbortableHttpProtocol"


class AbortableHttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol plus `harness.abort` in the ASGI scope: a real TCP reset.

    ASGI has no way to drop a connection without answering (uvicorn sends a 500 instead), and the
    `reset` and `hang` faults need exactly that, so we hand the app the transport's abort.
    """

    def on_message_begin(self) -> None:
        super().on_message_begin()
        extensions: dict[str, Any] = {"harness.abort": self._abort}
        self.scope["extensions"] = extensions

    async def _abort(self) -> None:
        sock = self.transport.get_extra_info("socket")
        if sock is not None:  # linger 0: close() sends RST instead of FIN
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()
        await asyncio.sleep(0.01)  # let connection_lost run so uvicorn does not answer a 500


def config_to_env(config: FactoryConfig, state_dir: Path) -> str:
    data = asdict(config)
    start = config.chaos_start
    data["chaos_start"] = {**asdict(start), "at": start.at.isoformat() if start.at else None}
    data["state_dir"] = str(state_dir)
    return json.dumps(data)


def app_from_env() -> Starlette:
    """uvicorn's app factory for worker processes."""
    data = json.loads(os.environ[CONFIG_ENV])
    start = data.pop("chaos_start")
    at = start.pop("at")
    data["chaos_start"] = ChaosStart(**start, at=None) if at is None else ChaosStart.parse(at)
    data["state_dir"] = Path(data["state_dir"])
    config = FactoryConfig(**data)
    return create_app(config, config.state_dir)


def banner(config: FactoryConfig) -> str:
    url = f"http://{config.host}:{config.port}"
    return "\n".join(
        [
            f"JWT Pizza Factory (mock) on {url}  workers={config.workers}",
            f"  vendor id     {config.vendor_id}",
            f"  vendor key    {config.vendor_key}",
            f"  admin token   {config.admin_token}",
            f"  chaos start   {config.chaos_start.kind}   order delay {config.order_delay_ms} ms",
            f"  control plane {url}/admin/state  (Authorization: Bearer <admin token>)",
        ]
    )


def serve(config: FactoryConfig) -> None:
    """Serve until SIGINT/SIGTERM; the state directory is removed afterwards unless given."""
    config.validate()
    with tempfile.TemporaryDirectory(prefix="factory-") as tmp:
        state_dir = config.state_dir or Path(tmp)
        app = create_app(config, state_dir)  # seeds the store and the key before workers start
        watchdog.watch(state_dir)
        print(banner(config), file=sys.stderr, flush=True)
        common = dict(
            host=config.host,
            port=config.port,
            http=PROTOCOL,
            access_log=False,
            server_header=False,
            proxy_headers=False,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
        if config.workers == 1:
            uvicorn.run(app, **common)  # type: ignore[arg-type]
            return
        os.environ[CONFIG_ENV] = config_to_env(config, state_dir)
        uvicorn.run(f"{__name__}:app_from_env", factory=True, workers=config.workers, **common)  # type: ignore[arg-type]

"""An HTTP server inside a run's own asyncio loop (uvicorn as a task): the game day's control
API and the endpoints a team's service and alerting push to (OTLP, Influx, Loki, webhooks)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from harness.errors import ServerError


class _OwnSignals(uvicorn.Server):
    """uvicorn inside the run: the run, not uvicorn, handles SIGINT and SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class LoopServer:
    """Serves `app` on host:port (0: a free port) as a task of the running loop."""

    def __init__(self, app: ASGIApp, name: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.name, self.host, self.port = name, host, port
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self.server = _OwnSignals(config)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> str:
        """Listen, and return the server's base URL once it answers."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise ServerError(
                f"the {self.name} cannot listen on {self.host}:{self.port} ({exc.strerror})",
                fix="free that port or choose another one",
            ) from None
        url = f"http://{self.host}:{sock.getsockname()[1]}"
        self.task = asyncio.create_task(self.server.serve(sockets=[sock]))
        while not self.server.started:
            if self.task.done():
                raise ServerError(f"the {self.name} did not start", fix="see the messages above")
            await asyncio.sleep(0.01)
        return url

    async def stop(self) -> None:
        if self.task is None:
            return
        self.server.should_exit = True
        try:
            await asyncio.wait_for(asyncio.shield(self.task), timeout=5)
        except TimeoutError:
            self.task.cancel()

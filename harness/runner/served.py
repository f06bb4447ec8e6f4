"""HTTP servers of a run (uvicorn): inside the run's own asyncio loop (the game day's control API),
or on a thread of their own (the inbox a team's service and alerting push to: it must listen
before the team's service starts and until it stops, outside any one asyncio loop)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

from harness.errors import ServerError


class _OwnSignals(uvicorn.Server):
    """uvicorn inside the run: the run, not uvicorn, handles SIGINT and SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind(name: str, host: str, port: int) -> socket.socket:
    """A listening-ready socket on host:port (0: a free port), or ServerError naming the port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ServerError(
            f"the {name} cannot listen on {host}:{port} ({exc.strerror})",
            fix="free that port (a leftover run? `ss -ltnp | grep :PORT` names its process) "
            "or choose another one",
        ) from None
    return sock


def _server(app: ASGIApp) -> _OwnSignals:
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2
    )
    return _OwnSignals(config)


class LoopServer:
    """Serves `app` on host:port (0: a free port) as a task of the running loop."""

    def __init__(self, app: ASGIApp, name: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.name, self.host, self.port = name, host, port
        self.server = _server(app)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> str:
        """Listen, and return the server's base URL once it answers."""
        sock = bind(self.name, self.host, self.port)
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


class ThreadServer:
    """Serves `app` on host:port (0: a free port) on a thread with its own asyncio loop."""

    def __init__(self, app: ASGIApp, name: str, host: str = "127.0.0.1", port: int = 0) -> None:
        self.name, self.host, self.port = name, host, port
        self.server = _server(app)
        self.thread: threading.Thread | None = None

    def start(self, timeout_s: float = 10.0) -> str:
        """Listen, and return the server's base URL once it answers."""
        sock = bind(self.name, self.host, self.port)
        self.port = sock.getsockname()[1]
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, name=self.name, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise ServerError(f"the {self.name} did not start", fix="see the messages above")
            time.sleep(0.01)
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self.thread is None:
            return
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.thread = None

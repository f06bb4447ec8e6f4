"""The harness's own small HTTP server for the Prometheus backend, on a free 127.0.0.1 port.

- `POST /alertmanager/state` and `/alertmanager/pager`: Alertmanager's webhooks; each payload
  is queued with its route and arrival time for the run loop to read (`drain`);
- `GET /metrics`: the diners' own series (harness.alerting.diners: orders by outcome, latency),
  for Prometheus to scrape as the `diners` job (the built-in engine ingests the same counts);
- `GET /-/ready`.

It runs uvicorn in a thread (the run loop is busy in its own asyncio loop) and joins the run's
ProcessGroup as a member, so it is checked while the run goes and stopped on every exit path.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from harness import jsontext
from harness.alerting.backends.promconfig import METRICS_PATH, PAGER_PATH, STATE_PATH
from harness.alerting.diners import DinerSeries
from harness.netutil import free_port, wait_healthy
from harness.procs import ManagedProcess

Received = tuple[str, Any, float]  # route ("state" | "pager"), JSON payload, wall arrival time


class _LatestDiners:
    """The registry's view of whichever DinerSeries the run loop handed in last."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver

    def collect(self) -> Iterator[Metric]:
        yield from self.receiver.diners.collect()


class Receiver(ManagedProcess):
    """A thread, not a process, with a ManagedProcess's face (start, alive, stop, log)."""

    def __init__(self, log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(
            "alert-receiver", [], f"{self.url}/-/ready", log_dir / "alert-receiver.log"
        )
        self.inbox: queue.SimpleQueue[Received] = queue.SimpleQueue()
        self.diners = DinerSeries()
        self.registry = CollectorRegistry()
        self.registry.register(_LatestDiners(self))
        config = uvicorn.Config(
            self.app(), host="127.0.0.1", port=self.port, log_level="warning",
            access_log=False, lifespan="off", loop="asyncio",
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="alert-receiver", daemon=True)

    def app(self) -> Starlette:
        def webhook(route: str) -> Any:
            async def receive(request: Request) -> Response:
                try:
                    payload = jsontext.loads(await request.body())
                except ValueError as exc:
                    return PlainTextResponse(f"not JSON we accept: {exc}", status_code=400)
                self.inbox.put((route, payload, time.time()))
                return PlainTextResponse("ok")

            return receive

        async def metrics(request: Request) -> Response:
            return Response(generate_latest(self.registry), media_type="text/plain; version=0.0.4")

        async def ready(request: Request) -> Response:
            return PlainTextResponse("ready")

        return Starlette(
            routes=[
                Route(STATE_PATH, webhook("state"), methods=["POST"]),
                Route(PAGER_PATH, webhook("pager"), methods=["POST"]),
                Route(METRICS_PATH, metrics),
                Route("/-/ready", ready),
            ]
        )

    def set_diners(self, diners: DinerSeries) -> None:
        self.diners = diners  # one reference swap: the server thread reads it

    def drain(self) -> list[Received]:
        out = []
        while True:
            try:
                out.append(self.inbox.get_nowait())
            except queue.Empty:
                return out

    def start(self, *, timeout_s: float = 30.0) -> Receiver:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.thread.start()
        try:
            wait_healthy(self.health_url, timeout_s=timeout_s, is_alive=self.alive)
        except BaseException:
            self.stop()
            raise
        return self

    def alive(self) -> bool:
        return self.thread.is_alive()

    def stop(self, grace_s: float = 5.0) -> int | None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(grace_s)
        return None

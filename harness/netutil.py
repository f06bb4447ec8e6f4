"""Small helpers for the servers the harness starts: free loopback ports and health waits."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping

import httpx

from harness.errors import ServerError


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on `host` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_healthy(
    url: str,
    *,
    timeout_s: float = 20.0,
    is_alive: object = None,
    headers: Mapping[str, str] | None = None,
    check: Callable[[httpx.Response], str | None] | None = None,
) -> None:
    """Poll `url` until it answers any HTTP status, or raise ServerError after `timeout_s`.

    `is_alive`, when given, is a callable returning False once the server process has died, so a
    crash is reported at once instead of after the timeout. `check`, when given, reads the
    answer and says why it is not from the server we mean (ServerError with that text at once).
    """
    deadline = time.monotonic() + timeout_s
    last_error = "no answer"
    # One client for the whole wait: each new client loads the CA bundle (~0.1 s of CPU), which
    # a poll every 50 ms turned into seconds of CPU per run.
    with httpx.Client(timeout=1.0, headers=headers) as client:
        while time.monotonic() < deadline:
            if callable(is_alive) and not is_alive():
                raise ServerError(f"the server for {url} exited before it became healthy")
            try:
                answer = client.get(url)
            except httpx.HTTPError as exc:
                last_error = str(exc) or type(exc).__name__
                time.sleep(0.05)
                continue
            wrong = check(answer) if check is not None else None
            if wrong is not None:
                raise ServerError(wrong)
            return
    raise ServerError(
        f"{url} did not answer within {timeout_s:.0f} s ({last_error})",
        fix="check the server's log above, or free the port it wanted",
    )

"""The factory a run talks to is the one it started: a fixed port must be free before we start
ours (a factory left by a killed run, or any other program, is named with how to free the
port), and the health probe reads `/admin/state` with this run's own admin token, which only
our factory accepts (another factory answers 401)."""

from __future__ import annotations

import errno
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from harness.errors import ServerError
from harness.procs import ManagedProcess

if TYPE_CHECKING:
    from harness.runner.stack import Stack


def check_port_free(host: str, port: int, option: str) -> None:
    """ServerError (exit 3) naming the port, who may hold it and how to free it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise ServerError(f"{option} {port}: cannot listen on {host}: {exc}") from None
            raise ServerError(
                f"{option} {port}: port {port} on {host} is already taken (a factory left by "
                "an earlier, killed run, or another program)",
                fix=f"see who holds it with `ss -ltnp 'sport = :{port}'` and stop that process "
                f"(`fuser -k {port}/tcp`), or choose another {option}",
            ) from None


def identity_check(stack: Stack) -> ManagedProcess.Check:
    """Accepts only an answer our own factory gives: 200 to this run's admin token."""
    port = stack.factory_url.rsplit(":", 1)[1]

    def check(answer: httpx.Response) -> str | None:
        if answer.status_code == 200:
            return None
        return (
            f"the server on port {port} is not the factory this run started (it answered "
            f"{answer.status_code} to this run's admin token): free port {port} "
            f"(`fuser -k {port}/tcp`) or choose another --factory-port"
        )

    return check


def factory_process(
    stack: Stack, args: Sequence[str], run_dir: Path, *, fixed_port: bool
) -> ManagedProcess:
    """`harness serve factory ARGS`, health-checked as this run's own factory."""
    host, port = stack.factory_url.split("//", 1)[1].rsplit(":", 1)
    if fixed_port:
        check_port_free(host, int(port), "--factory-port")
    process = ManagedProcess.harness("factory", args, f"{stack.factory_url}/admin/state", run_dir)
    process.health_headers = {"authorization": f"Bearer {stack.admin_token}"}
    process.check = identity_check(stack)
    return process

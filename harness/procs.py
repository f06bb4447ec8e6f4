"""Child processes the harness starts (factory, service, later traffic): started on 127.0.0.1,
waited on until healthy, and always stopped: SIGTERM, then SIGKILL after a grace period.

Use as a context manager, or keep a `ProcessGroup` that stops everything it started on every exit
path (normal return, exception, Ctrl-C). Paths we never see (SIGKILL of the harness, the OOM
killer) are covered by the children themselves: each is started with Linux's parent-death signal
(SIGTERM when the thread that started it ends), and learns our pid from HARNESS_PARENT_PID, so
a factory also watches for us itself (harness.factory.watchdog).
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, suppress
from pathlib import Path
from types import TracebackType

import httpx

from harness.netutil import wait_healthy

PARENT_ENV = "HARNESS_PARENT_PID"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:  # loaded now: the child between fork and exec should only call, not load
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()


def die_with_parent(parent_pid: int) -> Callable[[], None]:
    """The child-side half (a preexec function): SIGTERM us when our parent dies, and if it
    already died between fork and now, SIGTERM us at once. No library does this; it is a
    single prctl(2) call."""

    def preexec() -> None:
        if _PRCTL is not None:
            _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent_pid:
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def child_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """A child's environment (ours when None), plus who its parent is (HARNESS_PARENT_PID)."""
    return {**(os.environ if env is None else env), PARENT_ENV: str(os.getpid())}


class ManagedProcess(AbstractContextManager["ManagedProcess"]):
    """One `python -m harness ...` child (or any argv), its log file, and its health URL.

    `check`, when set, reads the health answer and returns why it is not from this child (the
    start then fails at once with that text); `health_headers` go with the health probe."""

    Check = Callable[[httpx.Response], str | None]

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        health_url: str,
        log_path: Path,
        *,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.name, self.argv, self.health_url = name, list(argv), health_url
        self.log_path = log_path
        self.cwd, self.env = cwd, None if env is None else dict(env)
        self.proc: subprocess.Popen[bytes] | None = None
        self.health_headers: dict[str, str] = {}
        self.check: ManagedProcess.Check | None = None

    @classmethod
    def harness(
        cls, name: str, args: Sequence[str], health_url: str, log_dir: Path
    ) -> ManagedProcess:
        return cls(
            name, [sys.executable, "-m", "harness", *args], health_url, log_dir / f"{name}.log"
        )

    def start(self, *, timeout_s: float = 30.0) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            # Own session: a Ctrl-C in the terminal reaches us, and we stop the child ourselves.
            self.proc = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.cwd,
                env=child_env(self.env),
                preexec_fn=die_with_parent(os.getpid()),
            )
        try:
            wait_healthy(
                self.health_url,
                timeout_s=timeout_s,
                is_alive=self.alive,
                headers=self.health_headers,
                check=self.check,
            )
        except BaseException:
            self.stop()
            raise
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace_s: float = 5.0) -> int | None:
        """Stop the child and everything in its process group; returns its exit code."""
        if self.proc is None:
            return None
        try:
            if self.proc.poll() is None:
                self._signal(signal.SIGTERM)
                with suppress(subprocess.TimeoutExpired):
                    self.proc.wait(grace_s)
        finally:  # also when the wait is interrupted: nothing of ours outlives us
            self._signal(signal.SIGKILL)  # the child, or workers a supervisor left behind
            self.proc.wait()
        return self.proc.returncode

    def _signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, sig)

    def log_tail(self, lines: int = 20) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> ManagedProcess:
        return self.start() if self.proc is None else self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class ProcessGroup(AbstractContextManager["ProcessGroup"]):
    """Starts processes in order and stops them in reverse order, whatever happens."""

    def __init__(self) -> None:
        self.members: list[ManagedProcess] = []

    def start(self, process: ManagedProcess, *, timeout_s: float = 30.0) -> ManagedProcess:
        self.members.append(process)
        return process.start(timeout_s=timeout_s)

    def stop(self) -> None:
        """Stop every member, newest first; one failing to stop does not spare the others."""
        failures: list[BaseException] = []
        while self.members:
            try:
                self.members.pop().stop()
            except BaseException as exc:
                failures.append(exc)
        if failures:
            raise failures[0]

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

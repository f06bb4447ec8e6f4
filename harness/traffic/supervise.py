"""The traffic process's supervisor: `python -m harness.traffic CONFIG.json`.

It validates the config (exit 2 naming the file and field), starts Locust headless as a child
process (`python -m locust -f harness/traffic/locustfile.py ...`) with explicit arguments, a
clean environment (no LOCUST_* variables, no locust.conf or pyproject.toml picked up: pitfall 29)
and its own session, bounds it in time, forwards SIGTERM/SIGINT as a graceful stop, and at the end
checks the accounting against the events file and writes the final summary.

With `processes` N > 1 it starts a Locust master and N workers instead (cluster.py), each in its
own session: the graceful stop goes to the master, which stops its workers (distributed.py); an
escalation (SIGTERM, SIGKILL) goes to every process. As `--worker` it runs one worker of a master
elsewhere and accounts nothing itself.

Exit codes: 0 the run ended (whatever the service did); 2 bad config; 3 the accounting does not
add up or Locust failed. This module does not import locust.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from types import FrameType

from harness.errors import ExitCode
from harness.procs import die_with_parent
from harness.traffic.closing import Ending, close_run
from harness.traffic.cluster import Cluster, worker_log_path
from harness.traffic.command import LOCUSTFILE, locust_argv, locust_env
from harness.traffic.config import STOP_SIGNAL, TrafficConfig
from harness.traffic.progress import Progress
from harness.traffic.tally import ROLE_ENV

STARTUP_GRACE_S = 30.0
"""How long Locust may take to import and start before its run time counts."""
WORKER_EXIT_S = 10.0
"""How long local workers may take to exit once their master has."""


class Supervisor:
    def __init__(
        self,
        config: TrafficConfig,
        config_path: Path,
        cluster: Cluster | None = None,
        *,
        web_port: int | None = None,
    ) -> None:
        self.config = config
        self.config_path = config_path
        self.cluster = cluster or Cluster.local(config)
        self.web_port = web_port
        self.stop_reason: str | None = None
        self.proc: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self.stop_sent = False
        self.escalations: list[str] = []

    # Signals ------------------------------------------------------------------------------------

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stop_reason = self.stop_reason or signal.Signals(signum).name
        self._send_stop()

    def _send_stop(self) -> None:
        if self.proc is None or self.stop_sent or self.proc.poll() is not None:
            return
        self.stop_sent = True
        self._signal(STOP_SIGNAL, self.proc)  # a master stops its own workers

    def _signal(self, sig: signal.Signals, *only: subprocess.Popen[bytes]) -> None:
        assert self.proc is not None
        for proc in only or (self.proc, *self.workers):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, sig)

    # The run ------------------------------------------------------------------------------------

    def run(self) -> int:
        if self.cluster.role == "worker":
            return self.run_worker()
        cfg = self.config
        for path in (cfg.events_path, cfg.summary_path, cfg.locust_prefix):
            path.parent.mkdir(parents=True, exist_ok=True)
        cfg.summary_path.unlink(missing_ok=True)  # a summary left from before must not count
        offset = cfg.events_path.stat().st_size if cfg.events_path.exists() else 0
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        home = Path(tempfile.mkdtemp(prefix="harness-traffic-"))
        try:
            print(
                f"traffic: {cfg.diners} diners -> {cfg.service_url} for {cfg.run_time_s:g} s, "
                f"{self.cluster.describe()} (events {cfg.events_path}, Locust log {cfg.log_path})",
                flush=True,
            )
            if self.web_port is not None:
                print(f"traffic: Locust web UI on http://127.0.0.1:{self.web_port}/", flush=True)
            rc = self._run_locust(home, offset)
        finally:
            self._reap_workers()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            shutil.rmtree(home, ignore_errors=True)
        return self.finish(rc, offset)

    def _run_locust(self, home: Path, offset: int) -> int:
        cfg = self.config
        argv = locust_argv(cfg, self.web_port) + self.cluster.master_args()
        self.proc = self._spawn(argv, home, cfg.log_path)
        for number in range(1, self.cluster.workers + 1 if self.cluster.role == "local" else 1):
            worker_argv = self.cluster.worker_argv(LOCUSTFILE)
            log_path = worker_log_path(cfg, number)
            self.workers.append(self._spawn(worker_argv, home, log_path, role="worker"))
        if self.stop_reason is not None:
            self._send_stop()
        started = time.monotonic()
        startup = STARTUP_GRACE_S + (self.cluster.workers_wait_s if self.cluster.distributed else 0)
        deadline = started + startup + cfg.run_time_s + cfg.shutdown_grace_s
        progress = Progress(cfg.events_path, offset)
        return self._wait(deadline, progress, started)

    def _spawn(
        self, argv: list[str], home: Path, log_path: Path | None, *, role: str = ""
    ) -> subprocess.Popen[bytes]:
        """One Locust process in its own session (our group's SIGTERM reaches us; we stop it),
        in an empty directory (no locust.conf or pyproject.toml [tool.locust] from our cwd)."""
        env = locust_env(self.config_path, home, self.config)
        env[ROLE_ENV] = role or self.cluster.locust_role
        if log_path is None:  # a remote worker: Locust's output is ours
            return subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                cwd=home,
                env=env,
                start_new_session=True,
                preexec_fn=die_with_parent(os.getpid()),
            )
        with open(log_path, "ab") as log:
            return subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=home,
                env=env,
                start_new_session=True,
                preexec_fn=die_with_parent(os.getpid()),
            )

    def _wait(self, deadline: float, progress: Progress | None, started: float) -> int:
        """Wait for the (master) process; a stop request or the deadline tightens, SIGTERM
        then SIGKILL."""
        cfg = self.config
        assert self.proc is not None
        while True:
            try:
                return self.proc.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                pass
            now = time.monotonic()
            if progress is not None:
                progress.maybe_print(now - started)
            if self.stop_sent and not self.escalations:
                deadline = min(deadline, now + cfg.shutdown_grace_s)
                self.escalations.append("graceful stop requested")
            if now < deadline:
                continue
            if "SIGTERM" not in self.escalations:  # Locust's own SIGTERM path still writes
                self.escalations.append("SIGTERM")
                self._signal(signal.SIGTERM)
                deadline = now + cfg.shutdown_grace_s
            else:
                self.escalations.append("SIGKILL")
                self._signal(signal.SIGKILL)
                return self.proc.wait()

    def _reap_workers(self) -> None:
        """Local workers exit when their master quits them; stragglers get SIGTERM, SIGKILL."""
        deadline = time.monotonic() + WORKER_EXIT_S
        for sig, grace in ((signal.SIGTERM, self.config.shutdown_grace_s), (signal.SIGKILL, 5.0)):
            for proc in self.workers:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            left = [proc for proc in self.workers if proc.poll() is None]
            if not left:
                return
            self.escalations.append(f"worker {sig.name}")
            self._signal(sig, *left)
            deadline = time.monotonic() + grace
        for proc in self.workers:
            proc.wait()

    def run_worker(self) -> int:
        """`--worker`: one Locust worker of a master elsewhere; the master does the accounting."""
        cfg = self.config
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        home = Path(tempfile.mkdtemp(prefix="harness-traffic-"))
        try:
            print(f"traffic: {self.cluster.describe()} -> {cfg.service_url}", flush=True)
            self.proc = self._spawn(self.cluster.worker_argv(LOCUSTFILE), home, None)
            if self.stop_reason is not None:
                self._send_stop()
            startup = STARTUP_GRACE_S + self.cluster.workers_wait_s
            deadline = time.monotonic() + startup + cfg.run_time_s + 2 * cfg.shutdown_grace_s
            rc = self._wait(deadline, None, time.monotonic())
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            shutil.rmtree(home, ignore_errors=True)
        print(f"traffic: worker exited with code {rc}", flush=True)
        return (
            ExitCode.OK if rc == 0 and "SIGKILL" not in self.escalations else ExitCode.HARNESS_ERROR
        )

    # The end ------------------------------------------------------------------------------------

    def finish(self, rc: int, offset: int) -> int:
        """Check the accounting, write the final summary, return the exit code (closing.py)."""
        processes = self.cluster.workers if self.cluster.distributed else 1
        ending = Ending(rc, offset, self.stop_reason, self.escalations, self.workers, processes)
        return close_run(self.config, ending)

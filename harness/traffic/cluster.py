"""Which Locust processes one traffic run starts: one plain process, a master with local workers
(`processes > 1`), or one side of a run spread over machines (`--master` / `--worker`).

    local, processes 1   python -m locust ... (LocalRunner: today's single process)
    local, processes N   python -m locust ... --master --master-bind-host 127.0.0.1
                             --master-bind-port P --expect-workers N
                         N x python -m locust ... --worker --master-host 127.0.0.1 --master-port P
    master               the master only, bound where the user says, expecting N remote workers
    worker               one worker only, connecting to the master the user names

Every process runs in its own session; the supervisor (supervise.py) starts, bounds and stops
them. This module does not import locust.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from harness.netutil import free_port
from harness.traffic.config import TrafficConfig

DEFAULT_MASTER_PORT = 5557
REMOTE_WORKERS_WAIT_S = 120.0
"""How long a `--master` waits for its remote workers to connect before it gives up."""
Role = Literal["local", "master", "worker"]


@dataclass(frozen=True)
class Cluster:
    role: Role
    workers: int = 0
    """local: worker processes to start here (0: one plain process); master: workers expected."""
    host: str = "127.0.0.1"
    """master: the address it binds; worker: the master's address."""
    port: int = DEFAULT_MASTER_PORT

    @classmethod
    def local(cls, config: TrafficConfig) -> Cluster:
        """`processes` 1: one process; N: a master and N workers on a free loopback port."""
        if config.processes <= 1:
            return cls("local")
        return cls("local", config.processes, "127.0.0.1", free_port())

    @property
    def distributed(self) -> bool:
        return self.role != "local" or self.workers > 0

    @property
    def locust_role(self) -> str:
        """What the locustfile is told it is ($HARNESS_TRAFFIC_ROLE)."""
        if self.role == "worker":
            return "worker"
        return "master" if self.distributed else "local"

    @property
    def workers_wait_s(self) -> float:
        return REMOTE_WORKERS_WAIT_S if self.role == "master" else 30.0

    def master_args(self) -> list[str]:
        """Added to the master's (or single process's) Locust command line."""
        if not self.distributed:
            return []
        return [
            "--master",
            "--master-bind-host",
            self.host,
            "--master-bind-port",
            str(self.port),
            "--expect-workers",
            str(self.workers),
            "--expect-workers-max-wait",
            f"{self.workers_wait_s:g}",
        ]

    def worker_argv(self, locustfile: Path) -> list[str]:
        """One worker's Locust command line: users, host and stop timeout come from the master."""
        return [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(locustfile),
            "--worker",
            "--master-host",
            self.host,
            "--master-port",
            str(self.port),
            "--exit-code-on-error",
            "0",
            "--loglevel",
            "INFO",
        ]

    def describe(self) -> str:
        if self.role == "worker":
            return f"worker of the master at {self.host}:{self.port}"
        if self.role == "master":
            return f"master on {self.host}:{self.port} expecting {self.workers} workers"
        if self.workers:
            return f"a master and {self.workers} workers on 127.0.0.1:{self.port}"
        return "one process"


def worker_log_path(config: TrafficConfig, number: int) -> Path:
    """Where local worker `number` (1-based) logs: beside the master's Locust log."""
    prefix = config.locust_prefix
    return prefix.with_name(f"{prefix.name}-worker-{number}.log")

"""The servers one run needs, on free 127.0.0.1 ports: the mock factory, the reference service,
and the Locust traffic process; plus the factory's control plane as the runner uses it."""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from harness.errors import ConfigError, HarnessError
from harness.factory.config import new_vendor_key
from harness.factory.control import ChaosControl
from harness.factory.identity import factory_process
from harness.netutil import free_port
from harness.procs import ManagedProcess, ProcessGroup
from harness.scenario import Scenario

if TYPE_CHECKING:
    from harness.traffic.config import TrafficConfig


@dataclass
class Stack:
    run_dir: Path
    factory_url: str
    service_url: str
    vendor_key: str
    admin_token: str
    traffic_grace_s: float = 30.0  # SIGTERM to SIGKILL: the diners finish and write a summary

    @property
    def service_log(self) -> Path:
        return self.run_dir / "service.jsonl"

    @property
    def traffic_events(self) -> Path:
        return self.run_dir / "orders.jsonl"

    @property
    def traffic_summary(self) -> Path:
        return self.run_dir / "traffic-summary.json"


def start_servers(
    group: ProcessGroup,
    run_dir: Path,
    *,
    order_delay_ms: int = 32_000,
    seed: int = 1,
    time_scale: float = 1.0,
    report_field: str = "followLinkToEndChaos",
    external_service: str | None = None,
    factory_host: str = "127.0.0.1",
    factory_port: int | None = None,
    vendor_key: str | None = None,
    factory_workers: int = 1,
    quiet_logs: bool = False,
) -> Stack:
    """Factory and service on free loopback ports, started and healthy (ServerError otherwise);
    with `external_service`, only the factory (on the port the team's factory.url names).
    Chaos is armed through the control plane, so the factory's own chaos start is not used.
    `factory_workers` and `quiet_logs` (the service logs only its factory calls): load tests."""
    fport = factory_port or free_port()
    service_url = external_service or f"http://127.0.0.1:{free_port()}"
    stack = Stack(
        run_dir,
        f"http://{factory_host}:{fport}",
        service_url.rstrip("/"),
        vendor_key or new_vendor_key(),
        secrets.token_hex(16),
    )
    factory = [
        "serve",
        "factory",
        "--host",
        factory_host,
        "--port",
        str(fport),
        "--vendor-key",
        stack.vendor_key,
        "--admin-token",
        stack.admin_token,
        "--order-delay-ms",
        str(order_delay_ms),
        "--state-dir",
        str(run_dir / "factory-state"),
        "--seed",
        str(seed),
        "--workers",
        str(factory_workers),
    ]
    group.start(factory_process(stack, factory, run_dir, fixed_port=factory_port is not None))
    if external_service is None:
        start_service(group, stack, report_field, time_scale, quiet_logs)
    return stack


def start_service(
    group: ProcessGroup, stack: Stack, report_field: str, scale: float, quiet_logs: bool = False
) -> None:
    """The reference service, pointed at the stack's factory."""
    port = stack.service_url.rsplit(":", 1)[1]
    service = [
        "serve",
        "service",
        "--port",
        port,
        "--factory-url",
        stack.factory_url,
        "--factory-key",
        stack.vendor_key,
        "--db",
        str(stack.run_dir / "service.db"),
        "--log-file",
        str(stack.service_log),
        "--report-field",
        report_field,
        "--time-scale",
        str(scale),
        *(["--quiet-logs"] if quiet_logs else []),
    ]
    group.start(ManagedProcess.harness("service", service, f"{stack.service_url}/", stack.run_dir))


def start_scenario_servers(group: ProcessGroup, run_dir: Path, scenario: Scenario) -> Stack:
    """The servers with the scenario's factory delay (compressed like everything else)."""
    delay_ms = round(scenario.order_delay * 1000 / scenario.time_scale)
    service = scenario.service
    return start_servers(
        group,
        run_dir,
        order_delay_ms=delay_ms,
        seed=scenario.seed,
        time_scale=scenario.time_scale,
        report_field=scenario.report_field,
        external_service=service.url,
        factory_host=service.factory_host,
        factory_port=service.factory_port,
        vendor_key=service.vendor_key,
    )


def start_team_service(
    group: ProcessGroup, stack: Stack, scenario: Scenario, inbox_url: str
) -> ManagedProcess | None:
    """The team's own service (`service.command`, run by sh), once our factory and inbox listen;
    health-waited on `service.url`, its output in service.log, stopped with the other children.
    The command gets where things are in HARNESS_* variables (see the README)."""
    service = scenario.service
    if service.command is None:
        return None
    cwd = Path(service.cwd).expanduser() if service.cwd else None
    if cwd is not None and not cwd.is_dir():
        raise ConfigError(
            "service.cwd", f"{cwd} is not a directory", fix="give the service's checkout"
        )
    env = os.environ | team_env(stack, inbox_url) | service.env
    argv = [sys.executable, "-m", "harness.lifeline", "/bin/sh", "-c", service.command]
    process = ManagedProcess(
        "service", argv, f"{stack.service_url}/", stack.run_dir / "service.log", cwd=cwd, env=env
    )
    return group.start(process, timeout_s=service.start_timeout)


def team_env(stack: Stack, inbox_url: str) -> dict[str, str]:
    """What the team's service needs to know of this run (its config.js may read them)."""
    port = urlsplit(stack.service_url).port
    return {
        "HARNESS_FACTORY_URL": stack.factory_url,
        "HARNESS_VENDOR_KEY": stack.vendor_key,
        "HARNESS_TELEMETRY_URL": inbox_url,
        "HARNESS_SERVICE_URL": stack.service_url,
        "HARNESS_SERVICE_PORT": str(port or ""),
        "HARNESS_RUN_DIR": str(stack.run_dir),
    }


def start_traffic(group: ProcessGroup, stack: Stack, scenario: Scenario) -> ManagedProcess:
    """The Locust diners as their own process (the only code that imports locust); with
    `processes` > 1 it runs a Locust master and that many workers."""
    from harness.traffic.config import TrafficConfig

    config = TrafficConfig(**traffic_settings(stack, scenario))
    stack.traffic_grace_s = config.shutdown_grace_s
    return group.start(traffic_process(stack, config))


def traffic_process(stack: Stack, config: TrafficConfig) -> ManagedProcess:
    """`python -m harness.traffic` on `config` (written into the run folder), not yet started."""
    path = config.write(stack.run_dir / "traffic.json")
    return ManagedProcess(
        "traffic",
        [sys.executable, "-m", "harness.traffic", str(path)],
        f"{stack.service_url}/",
        stack.run_dir / "traffic.log",
    )


def traffic_settings(stack: Stack, scenario: Scenario) -> dict[str, Any]:
    """The scenario's traffic in wall seconds (scenario units divided by the time scale)."""
    traffic, scale = scenario.traffic, scenario.time_scale
    return {
        "service_url": stack.service_url,
        "jwks_url": f"{stack.factory_url}/.well-known/jwks.json",
        "events_path": str(stack.traffic_events),
        "summary_path": str(stack.traffic_summary),
        "locust_prefix": str(stack.run_dir / "locust"),
        "diners": traffic.diners,
        "spawn_rate": traffic.spawn_rate,
        "run_time_s": scenario.max_duration / scale + 30,
        "think_time_s": [traffic.think_time[0] / scale, traffic.think_time[1] / scale],
        "order_timeout_s": traffic.order_timeout / scale,
        "request_timeout_s": max(5.0, traffic.order_timeout / scale),
        "slow_after_s": traffic.slow_after / scale,
        "journey": traffic.journey,
        "seed": traffic.seed,
        "processes": traffic.processes,
        # A service URL the user named on purpose may be another machine (loopback otherwise).
        "allow_remote": scenario.service.url is not None,
    }


class FactoryControl(ChaosControl):
    """The factory's control plane as the runner uses it: clears that never raise (the
    rollback calls them also when the factory is already gone), and the loop's async read."""

    def __init__(self, stack: Stack) -> None:
        super().__init__(stack.factory_url, stack.admin_token)

    def clear(self) -> str:
        with contextlib.suppress(httpx.HTTPError, HarnessError):
            return super().clear()
        return ""

    def clear_faults(self) -> None:
        with contextlib.suppress(httpx.HTTPError, HarnessError):
            self.remove_fault()

    async def transitions_async(self, client: httpx.AsyncClient) -> list[dict[str, Any]]:
        answer = await client.get(f"{self.url}/transitions", headers=self.headers)
        answer.raise_for_status()
        result: list[dict[str, Any]] = answer.json()
        return result

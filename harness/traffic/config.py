"""The traffic process's settings (`TrafficConfig`), read from one JSON file.

The runner builds a `TrafficConfig`, writes it with `write()`, and starts
`python -m harness.traffic CONFIG.json`. Every time here is in WALL seconds: the runner has already
divided scenario times by the time scale. This module does not import locust.
"""

from __future__ import annotations

import ipaddress
import json
import math
import signal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from harness.errors import ConfigError
from harness.traffic.config_errors import config_error
from harness.traffic.steps import StepPlan

CONFIG_ENV = "HARNESS_TRAFFIC_CONFIG"
"""The Locust process finds its config file's path in this environment variable."""
STOP_SIGNAL = signal.SIGUSR1
"""The supervisor asks the Locust process for a graceful stop with this signal: the same path as
the run-time limit (runner.quit(): diners finish what is in flight, Locust writes every report)."""

Seconds = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class Journey(BaseModel):
    """Relative weights of a diner's actions (Locust task weights)."""

    model_config = ConfigDict(extra="forbid")

    order: int = Field(default=8, ge=0, le=1000, description="weight of ordering pizza (0-1000)")
    history: int = Field(
        default=1, ge=0, le=1000, description="weight of reading the order history"
    )
    menu: int = Field(default=1, ge=0, le=1000, description="weight of reading the menu")

    @model_validator(mode="after")
    def _some_action(self) -> Journey:
        if self.order + self.history + self.menu == 0:
            raise ValueError("all weights are 0: give at least one action a weight above 0")
        return self

    def weights(self) -> dict[str, int]:
        return {"order": self.order, "history": self.history, "menu": self.menu}


MASTER_FILES = {"events_path", "summary_path", "locust_prefix"}
"""Where the master (or the one process) writes; a worker on another machine may differ."""


class TrafficConfig(BaseModel):
    """One traffic run: who orders what, how fast, for how long, and where the records go."""

    model_config = ConfigDict(extra="forbid")

    service_url: str = Field(description="the pizza service's base URL, e.g. http://127.0.0.1:8091")
    jwks_url: str = Field(
        description="the factory's JWKS, e.g. http://127.0.0.1:8090/.well-known/jwks.json"
    )
    events_path: Path = Field(description="file that receives one JSON line per order attempt")
    summary_path: Path = Field(description="file that receives the run's JSON summary")
    locust_prefix: Path = Field(
        description="path prefix of Locust's own reports, e.g. RUN_DIR/locust"
    )
    diners: int = Field(ge=1, le=100_000, description="number of diners (Locust users), >= 1")
    spawn_rate: float = Field(
        default=10.0, gt=0, allow_inf_nan=False, description="diners started per second, > 0"
    )
    run_time_s: Seconds = Field(description="how long the load runs, in wall seconds, > 0")
    think_time_s: tuple[float, float] = Field(
        default=(1.0, 3.0), description="[min, max] wall seconds a diner waits between actions"
    )
    order_timeout_s: Seconds = Field(
        default=10.0,
        description="client timeout of POST /api/order (no answer within it: timed_out)",
    )
    request_timeout_s: Seconds = Field(
        default=5.0, description="client timeout of every other call"
    )
    slow_after_s: Seconds = Field(
        default=2.0, description="an ok order slower than this many seconds counts as slow"
    )
    steady_start: bool = Field(
        default=False,
        description="a new diner waits a think-time remainder before its first order, so a "
        "ramp's new diners order at the steady rate at once (load tests)",
    )
    new_diners: bool = Field(
        default=False,
        description="the service has never seen these diners (fresh servers): each registers "
        "without trying to log in first and reuses the process's first menu read (load tests)",
    )
    journey: Journey = Field(
        default_factory=lambda: Journey(),
        description="weights {order, history, menu}, whole numbers >= 0, not all 0",
    )
    pizzas_per_order: tuple[int, int] = Field(
        default=(1, 3), description="[min, max] pizzas in one order, 1 <= min <= max <= 20"
    )
    seed: int = Field(default=0, description="seed of Faker and of every random choice")
    report_fields: list[str] | None = Field(
        default=None,
        description="names of the answer fields that carry the factory's report URL "
        "(default: any URL containing /report/, or under a key naming report or chaos)",
    )
    franchise_id: int = Field(default=1, description="franchiseId of every order")
    store_id: int = Field(default=1, description="storeId of every order")
    max_orders: int | None = Field(
        default=None,
        ge=1,
        description="stop after this many order attempts (default diners * run_time_s * 20)",
    )
    stop_timeout_s: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="how long diners may finish an action in flight when the run stops "
        "(default order_timeout_s + request_timeout_s + 2)",
    )
    allow_remote: bool = Field(
        default=False, description="set true to send load to a host that is not loopback"
    )
    processes: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Locust worker processes on this machine (1: one plain Locust process; "
        "N > 1: a master and N workers on 127.0.0.1, the order budget split among them)",
    )
    steps: StepPlan | None = Field(
        default=None,
        description="ramp the diners by steps {start, step, max, step_s} instead of running "
        "`diners` all along (a Locust load shape; `diners` must then be at least steps.max)",
    )

    @field_validator("events_path", "summary_path", "locust_prefix")
    @classmethod
    def _absolute(cls, value: Path, info: ValidationInfo) -> Path:
        """A relative path is taken from the config file's folder (read with `load`), else from
        the current directory: the Locust processes run in an empty folder of their own, where
        a relative path would name another file than the supervisor reads."""
        if value.is_absolute():
            return value
        base = (info.context or {}).get("base")
        return (Path(base) if base is not None else Path.cwd()).absolute() / value

    def fingerprint_json(self) -> str:
        """What master and workers must agree on: everything but where the master writes."""
        return self.model_dump_json(exclude=MASTER_FILES)

    @field_validator("think_time_s")
    @classmethod
    def _think_range(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not (0 <= low <= high < math.inf):
            raise ValueError(f"{list(value)} is not [min, max] with 0 <= min <= max")
        return value

    @field_validator("pizzas_per_order")
    @classmethod
    def _pizza_range(cls, value: tuple[int, int]) -> tuple[int, int]:
        first, last = value
        if not (1 <= first <= last <= 20):
            raise ValueError(
                f"{list(value)} is not [min, max] with 1 <= min <= max <= 20 "
                "(the factory refuses more than 20 pizzas)"
            )
        return value

    @field_validator("service_url", "jwks_url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http(s) URL with a host")
        return url.rstrip("/") if parts.path in ("", "/") else url

    @model_validator(mode="after")
    def _steps_fit(self) -> TrafficConfig:
        if self.steps is not None and self.steps.max > self.diners:
            raise ValueError(f"steps.max {self.steps.max} is above diners {self.diners}")
        return self

    @model_validator(mode="after")
    def _loopback_only(self) -> TrafficConfig:
        for name in ("service_url", "jwks_url"):
            host = urlsplit(getattr(self, name)).hostname or ""
            if not self.allow_remote and not is_loopback(host):
                # ConfigError is not a ValueError, so pydantic lets it through with its field.
                raise ConfigError(
                    name,
                    f"{host!r} is not a loopback host; traffic only loads loopback by default",
                    fix="set allow_remote: true to send load to another machine on purpose",
                )
        return self

    # Derived settings -------------------------------------------------------------------------

    @property
    def order_budget(self) -> int:
        """The most order attempts this run may make (a bound in count beside the time bound)."""
        if self.max_orders is not None:
            return self.max_orders
        return max(self.diners, math.ceil(self.diners * self.run_time_s * 20))

    @property
    def stop_grace_s(self) -> float:
        """How long diners may finish an action in flight once the run is asked to stop."""
        if self.stop_timeout_s is not None:
            return self.stop_timeout_s
        return self.order_timeout_s + self.request_timeout_s + 2.0

    @property
    def shutdown_grace_s(self) -> float:
        """How long a SIGTERMed traffic process may take to stop its diners and write its
        summary: give it at least this long before escalating to SIGKILL."""
        return math.ceil(self.stop_grace_s) + 10.0

    @property
    def html_path(self) -> Path:
        return self.locust_prefix.with_name(self.locust_prefix.name + ".html")

    @property
    def json_report_path(self) -> Path:
        """Where `--json-file PREFIX` writes (Locust appends `.json` itself: pitfall 11)."""
        return self.locust_prefix.with_name(self.locust_prefix.name + ".json")

    @property
    def log_path(self) -> Path:
        return self.locust_prefix.with_name(self.locust_prefix.name + ".log")

    # Files --------------------------------------------------------------------------------------

    def write(self, path: Path) -> Path:
        """Write this config as JSON to `path` (what `python -m harness.traffic` reads)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: Path) -> TrafficConfig:
        """Read and validate `path`; every problem raises ConfigError naming file and field."""
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                str(path), f"cannot read the traffic config ({exc.strerror or exc})"
            ) from None
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"{path}:{exc.lineno}:{exc.colno}",
                f"not valid JSON ({exc.msg})",
                fix="write the config with TrafficConfig.write() or fix the JSON syntax",
            ) from None
        return cls.from_data(data, source=str(path), base=path.parent)

    @classmethod
    def from_data(
        cls, data: Any, *, source: str = "traffic config", base: Path | None = None
    ) -> TrafficConfig:
        """`base`: the folder relative paths start from (default: the current directory)."""
        try:
            return cls.model_validate(data, context={"base": base})
        except ValidationError as exc:
            raise config_error(source, exc, cls) from None
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc.field}", _message(exc), fix=exc.fix) from None


def _message(exc: ConfigError) -> str:
    return exc.message.removeprefix(f"{exc.field}: ")


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

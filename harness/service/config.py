"""Settings of one reference pizza service, and the checks that refuse bad ones before start."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path

from harness.errors import ConfigError

VERSION = "reference-1.0"
MEMORY_DB = ":memory:"
DEFAULT_REPORT_FIELD = "followLinkToEndChaos"
TRANSPORTS = ("aiohttp", "httpx")
MIN_SECRET_BYTES = 32
# Fields the service itself puts in an order answer; the report field must not replace one.
RESERVED_FIELDS = ("order", "jwt", "message")


@dataclass
class ServiceConfig:
    """Everything one service needs. `factory_timeout_s=None` waits forever, like the real one."""

    factory_url: str = ""
    factory_key: str = ""
    host: str = "127.0.0.1"
    port: int = 8091
    db: str = MEMORY_DB
    report_field: str = DEFAULT_REPORT_FIELD
    factory_timeout_s: float | None = None
    factory_transport: str = "aiohttp"
    factory_pool_size: int = 200
    jwt_secret: str = field(default_factory=lambda: secrets.token_hex(32))
    workers: int = 1
    log_file: str | None = None
    quiet_logs: bool = False
    time_scale: float = 1.0
    version: str = VERSION
    otlp_url: str | None = None  # push metrics as OTLP/HTTP JSON to {otlp_url}/v1/metrics
    loki_url: str | None = None  # push log lines to {loki_url}/loki/api/v1/push
    push_interval_s: float = 1.0
    push_auth: str | None = None  # "user:key", sent as HTTP basic auth (Grafana Cloud's form)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def validate(self) -> ServiceConfig:
        self._check_factory()
        self._check_push()
        self._check_report_field()
        self._check_db_and_workers()
        if not 0 < self.time_scale <= 3600:
            raise ConfigError(
                "--time-scale",
                f"{self.time_scale} is out of range",
                fix="use a factor in (0, 3600]; 1 is real time",
            )
        if not 0 <= self.port <= 65535:
            raise ConfigError("--port", f"{self.port} is not a TCP port", fix="use 0 to 65535")
        if len(self.jwt_secret.encode()) < MIN_SECRET_BYTES:  # PyJWT warns below this for HS256
            raise ConfigError(
                "--jwt-secret",
                f"must be at least {MIN_SECRET_BYTES} bytes long",
                fix="give a longer secret, or omit it for a random one",
            )
        return self

    def _check_push(self) -> None:
        for flag, url in (("--otlp-url", self.otlp_url), ("--loki-url", self.loki_url)):
            if url is not None and not url.startswith(("http://", "https://")):
                raise ConfigError(
                    flag, f"{url!r} is not an http(s) URL", fix="e.g. http://127.0.0.1:9000"
                )
        if not 0.05 <= self.push_interval_s <= 3600:
            raise ConfigError(
                "--push-interval", f"{self.push_interval_s} s is out of range", fix="use 0.05-3600"
            )
        if self.push_auth is not None and ":" not in self.push_auth:
            raise ConfigError("--push-auth", "must be USER:KEY", fix="e.g. 123456:glc_...")

    def _check_factory(self) -> None:
        if not self.factory_url.startswith(("http://", "https://")):
            raise ConfigError(
                "--factory-url",
                f"{self.factory_url!r} is not an http(s) URL",
                fix="give the factory's base URL, e.g. http://127.0.0.1:8090",
            )
        if not self.factory_key or any(c.isspace() for c in self.factory_key):
            raise ConfigError(
                "--factory-key",
                "must be a non-empty string without spaces",
                fix="pass the vendor API key the factory printed at start-up",
            )
        if self.factory_timeout_s is not None and self.factory_timeout_s <= 0:
            raise ConfigError(
                "--factory-timeout",
                f"{self.factory_timeout_s} is not a positive number of seconds",
                fix="e.g. --factory-timeout 10, or omit it to wait forever like the real service",
            )
        if self.factory_transport not in TRANSPORTS:
            raise ConfigError(
                "--factory-transport",
                f"{self.factory_transport!r} is not a transport",
                fix=f"use one of {', '.join(TRANSPORTS)}",
            )
        if self.factory_pool_size < 1:
            raise ConfigError("factory_pool_size", "must be 1 or more", fix="e.g. 200")

    def _check_report_field(self) -> None:
        name = self.report_field
        if not name or any(c.isspace() for c in name) or name in RESERVED_FIELDS:
            raise ConfigError(
                "--report-field",
                f"{name!r} cannot name the report URL field",
                fix=f"use a JSON field name without spaces, other than {RESERVED_FIELDS}, "
                f"e.g. {DEFAULT_REPORT_FIELD}",
            )

    def _check_db_and_workers(self) -> None:
        if not 1 <= self.workers <= 64:
            raise ConfigError("--workers", f"{self.workers} is out of range", fix="use 1 to 64")
        if self.db == MEMORY_DB:
            if self.workers > 1:
                raise ConfigError(
                    "--workers",
                    f"{self.workers} workers cannot share a {MEMORY_DB} database "
                    "(each process would have its own diners and orders)",
                    fix="use --workers 1, or give --db PATH so the workers share one file",
                )
            return
        parent = Path(self.db).expanduser().resolve().parent
        if not parent.is_dir():
            raise ConfigError(
                "--db",
                f"the directory {str(parent)!r} does not exist",
                fix=f"create it first, or use --db {MEMORY_DB}",
            )

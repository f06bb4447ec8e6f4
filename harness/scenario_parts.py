"""The sections of a scenario file: traffic, service, alerting, pager, auto-report, expect
(harness.scenario holds the whole `Scenario`, its chaos and its loading)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness.durations import Duration

Step = Literal["order", "history", "menu"]
DEFAULT_JOURNEY: dict[Step, int] = {"order": 8, "history": 1, "menu": 1}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


class Traffic(Strict):
    diners: int = Field(8, ge=1, le=20_000)
    spawn_rate: float = Field(20.0, gt=0, description="diners started per wall second")
    think_time: tuple[Duration, Duration] = (5.0, 15.0)
    order_timeout: Duration = 60.0
    slow_after: Duration = 10.0
    journey: dict[Step, int] = Field(default_factory=lambda: dict(DEFAULT_JOURNEY))
    seed: int = 1
    processes: int = Field(1, ge=1, le=64, description="Locust worker processes (1: one)")


class Service(Strict):
    """The system under test: the reference service (no url), or a team's running service."""

    url: str | None = Field(None, pattern=r"^https?://[^/\s]+", description="its base URL")
    factory_port: int | None = Field(
        None, ge=1, le=65535, description="where our factory listens (the team's factory.url)"
    )
    factory_host: str = "127.0.0.1"
    vendor_key: str | None = Field(
        None, pattern=r"^\S+$", description="the factory.apiKey the team's config already has"
    )
    metrics: Literal["scrape", "push"] = "scrape"
    telemetry_port: int | None = Field(
        None, ge=1, le=65535, description="where the harness takes pushes and webhooks"
    )
    command: str | None = Field(
        None, min_length=1, description="start the team's service (sh -c), after our factory"
    )
    cwd: str | None = Field(None, description="the command's working directory")
    env: dict[str, str] = Field(default_factory=dict, description="added to the command's env")
    start_timeout: Duration = Field(60.0, gt=0, description="wall seconds to answer on url")
    admin: str | None = Field(
        None, pattern=r"^[^:\s]+:.+$", description="EMAIL:PASSWORD of an admin (adds a menu item)"
    )
    push_interval: Duration = Field(
        1.0, gt=0, description="wall seconds between the service's pushes (auto time scale)"
    )
    order_counter: str = Field(
        'http_requests_total{method="POST",route="/api/order"}',
        description="the service's counter of POST /api/order requests, for the accounting",
    )

    @field_validator("order_counter")
    @classmethod
    def _a_selector(cls, text: str) -> str:
        """Checked here, so a bad counter is exit 2 before anything starts, not a rollback error."""
        from harness.alerting.syntax import selector_matchers  # the PromQL parser loads lazily
        from harness.errors import ConfigError

        try:
            selector_matchers(text, "service.order_counter")
        except ConfigError as exc:
            fix = f" ({exc.fix})" if exc.fix else ""
            raise ValueError(
                f"{exc.message.removeprefix('service.order_counter: ')}{fix}"
            ) from None
        return text

    @model_validator(mode="after")
    def _external_only(self) -> Service:
        team_only = self.factory_port or self.vendor_key or self.metrics == "push"
        if self.url is None and (team_only or self.command or self.admin):
            raise ValueError(
                "factory_port, vendor_key, metrics: push, command and admin need `url` "
                "(a team's service: the URL it answers on)"
            )
        return self


class Alerting(Strict):
    backend: Literal["builtin", "prometheus", "external"] = "builtin"  # prometheus: real binaries
    scrape_interval: Duration = 15.0
    evaluation_interval: Duration = 60.0
    rules: list[dict[str, Any]] = Field(default_factory=list)
    grafana_rules: str | None = Field(
        None,
        description="a Grafana alert-rule export judged instead of `rules` (docs/grafana-rules.md)",
    )
    group_by: list[str] = Field(default_factory=lambda: ["alertname"])
    group_wait: Duration = 30.0
    group_interval: Duration = 300.0
    repeat_interval: Duration = 14400.0

    @model_validator(mode="after")
    def _rules_where_evaluated(self) -> Alerting:
        if self.backend == "external" and self.rules:
            raise ValueError(
                "backend external: your own alerting evaluates the rules and posts its webhooks "
                "to the harness; remove `rules` (or use backend builtin)"
            )
        if self.grafana_rules is not None and (self.rules or self.backend != "builtin"):
            raise ValueError(
                "grafana_rules are judged by the built-in evaluator instead of `rules`: remove "
                "`rules` and use backend builtin"
            )
        return self


class Pager(Strict):
    oncall: str = "on-call engineer"
    acknowledge_after: Duration | None = 18.0
    escalate_after: Duration = 300.0


class AutoReport(Strict):
    trigger: Literal["firing", "first_failure", "off"] = "firing"
    retries: int = Field(3, ge=0, le=20)
    backoff: Duration = 1.0
    probe: bool = True


class Expect(Strict):
    detect_within: Duration | None = None
    notify_within: Duration | None = None
    acknowledge_within: Duration | None = None
    recover_within: Duration | None = None
    max_failed_orders: int | None = Field(None, ge=0)
    no_alert_before_chaos: bool = True
    alert_resolves_within: Duration | None = None

"""The `load:` section of a scenario file: the step ramp, the expectations and the degradations
`harness load` measures. Every field has a default, so a scenario without the section works."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from harness.durations import Duration
from harness.factory.faults import FaultSpec
from harness.traffic.steps import StepPlan

HEALTHY = "healthy"
"""The configuration without any fault; always measured first."""
MAX_DINERS = 20_000
"""The most diners a ramp may reach (docs/load.md: 10,000 thinking diners on 2 cores)."""
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Steps(Strict):
    start: int = Field(16, ge=1, le=MAX_DINERS, description="diners of the first step")
    step: int = Field(16, ge=1, le=MAX_DINERS, description="diners added at each step")
    max: int = Field(256, ge=1, le=MAX_DINERS, description="diners of the last step")
    duration: Duration = Field(10.0, gt=0, le=600, description="how long each step lasts")

    @model_validator(mode="after")
    def _plan(self) -> Steps:
        if self.max < self.start:
            raise ValueError(f"max {self.max} is below start {self.start}: raise max")
        self.plan()  # too many steps: a ValueError naming the numbers
        return self

    def plan(self, *, duration: float | None = None, max_diners: int | None = None) -> StepPlan:
        """The ramp, with the command line's `--step-time` / `--max-diners` when given."""
        top = self.max if max_diners is None else max_diners
        return StepPlan(
            start=min(self.start, top),
            step=self.step,
            max=top,
            step_s=self.duration if duration is None else duration,
        )


class LoadExpect(Strict):
    p95_latency: Duration = Field(1.0, gt=0, description="a step breaks when its p95 is above")
    max_error_ratio: float = Field(
        0.01, ge=0, le=1, description="a step breaks when more of its orders fail"
    )
    min_capacity: float | None = Field(
        None, gt=0, description="orders/s the healthy factory must hold (exit 1 otherwise)"
    )


def default_degradations() -> dict[str, FaultSpec]:
    return {
        "latency": FaultSpec(kind="latency", settings={"fixed_ms": 250, "jitter_ms": 100}),
        "partial_failure": FaultSpec(kind="error", probability=0.2, settings={"status": 503}),
        "throttle": FaultSpec(kind="ratelimit", probability=0.5, settings={"retry_after_s": 1}),
    }


def armed(name: str, degradation: FaultSpec) -> FaultSpec:
    """The degradation as the factory arms it: an extra fault named after its configuration."""
    return degradation.model_copy(update={"name": name})


class Load(Strict):
    """`harness load`: ramp diners by steps until an expectation breaks, healthy and degraded."""

    steps: Steps = Field(default_factory=lambda: Steps())
    think_time: tuple[Duration, Duration] = Field(
        (0.0, 0.0), description="a diner's pause between orders; 0 measures capacity"
    )
    order_timeout: Duration = Field(10.0, gt=0, le=300)
    pizzas: tuple[int, int] = Field((1, 1), description="[min, max] pizzas per order")
    factory_workers: int = Field(2, ge=1, le=16)
    processes: int = Field(
        1,
        ge=1,
        le=64,
        description="Locust processes the diners run in (N > 1: a master and N workers here)",
    )
    expect: LoadExpect = Field(default_factory=lambda: LoadExpect())
    degradations: dict[str, FaultSpec] = Field(default_factory=default_degradations)

    @field_validator("think_time")
    @classmethod
    def _think(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[1] < value[0]:
            raise ValueError("think_time is [min, max]: max is below min")
        return value

    @field_validator("pizzas")
    @classmethod
    def _pizzas(cls, value: tuple[int, int]) -> tuple[int, int]:
        if not 1 <= value[0] <= value[1] <= 20:
            raise ValueError("pizzas is [min, max] with 1 <= min <= max <= 20")
        return value

    @field_validator("degradations")
    @classmethod
    def _names(cls, value: dict[str, FaultSpec]) -> dict[str, FaultSpec]:
        for name, spec in value.items():
            if spec.real:
                raise ValueError(
                    f"{name}: {spec.kind} is a real chaos type (a scenario's chaos:); a load "
                    f"configuration degrades with an extra fault (latency, error, ratelimit, ...)"
                )
            if name == HEALTHY or not NAME.fullmatch(name):
                raise ValueError(
                    f"{name!r} cannot name a degradation: use lower-case letters, digits, "
                    f"_ and - (and not {HEALTHY!r})"
                )
        return value

    def configurations(self) -> dict[str, FaultSpec | None]:
        """What `harness load` measures, in order: healthy, then each degradation."""
        return {HEALTHY: None, **self.degradations}

"""A step ramp of diners as a pure function of time, like Locust's `LoadTestShape.tick()`.

`StepPlan(start=16, step=16, max=256, step_s=10)` runs 16 diners for 10 s, then 32, 48, ... up to
256 (the last step is capped at `max`), then ends. `plan.at(t)` says which step runs `t` seconds
after the ramp began (None once it is over); `plan.tick(t)` is what a Locust shape returns. The
traffic process's shape class (locustfile.py) only wraps this; harness.load reads the same plan to
know what it measured. This module does not import locust.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_STEPS = 200
MAX_SPAWN_RATE = 500.0
"""Locust warns above 100 users started per second; one process starts 250/s of our diners
(docs/load.md). The default rate (`StepPlan.rate`) stays at most DEFAULT_SPAWN_RATE."""
DEFAULT_SPAWN_RATE = 100.0


@dataclass(frozen=True)
class Step:
    """One step of a ramp: its number (0-based), its diners, and its span in ramp seconds."""

    index: int
    diners: int
    start_s: float
    end_s: float


class StepPlan(BaseModel):
    """Diners by steps: `start`, then `step` more every `step_s` seconds, up to `max`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: int = Field(ge=1, le=100_000, description="diners of the first step, >= 1")
    step: int = Field(ge=1, le=100_000, description="diners added at each step, >= 1")
    max: int = Field(ge=1, le=100_000, description="diners of the last step, >= start")
    step_s: float = Field(gt=0, allow_inf_nan=False, description="seconds each step lasts, > 0")
    spawn_rate: float | None = Field(
        default=None,
        gt=0,
        le=MAX_SPAWN_RATE,
        description="diners started per second at a step change "
        "(default: the step's new diners within a tenth of the step, at most 100/s; up to 500)",
    )

    @model_validator(mode="after")
    def _bounded(self) -> StepPlan:
        if self.max < self.start:
            raise ValueError(f"max {self.max} is below start {self.start}: raise max")
        if self.count > MAX_STEPS:
            raise ValueError(
                f"{self.count} steps is more than {MAX_STEPS}: raise step or lower max"
            )
        return self

    @property
    def count(self) -> int:
        """How many steps the ramp has (the last one may add fewer than `step` diners)."""
        return math.ceil((self.max - self.start) / self.step) + 1

    @property
    def duration_s(self) -> float:
        return self.count * self.step_s

    def diners(self, index: int) -> int:
        return min(self.start + index * self.step, self.max)

    def steps(self) -> list[Step]:
        return [self.step_of(i) for i in range(self.count)]

    def step_of(self, index: int) -> Step:
        return Step(index, self.diners(index), index * self.step_s, (index + 1) * self.step_s)

    def at(self, t: float) -> Step | None:
        """The step running `t` seconds after the ramp began; None before 0 and once it ended."""
        if t < 0 or t >= self.duration_s:
            return None
        return self.step_of(min(int(t // self.step_s), self.count - 1))

    def rate(self) -> float:
        if self.spawn_rate is not None:
            return self.spawn_rate
        return min(DEFAULT_SPAWN_RATE, max(1.0, 10 * self.step / self.step_s, float(self.step)))

    def spawn_s(self) -> float:
        """How long the biggest step's new diners take to start at `rate()`."""
        return max(self.start, self.step) / self.rate()

    def tick(self, t: float) -> tuple[int, float] | None:
        """What a Locust `LoadTestShape.tick()` returns at run time `t`: (users, spawn rate), or
        None to end the run."""
        step = self.at(t)
        return None if step is None else (step.diners, self.rate())

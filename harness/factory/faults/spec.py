"""One armed fault, as a scenario's `chaos:`, the load test's degradations and the control plane
(`POST /admin/faults`, `PUT /admin/chaos`) all write it: the common fields, then the kind's own.

`at`, `window` and `for` are seconds from arming (scenario seconds in a scenario file, which the
runner divides by the time scale; wall seconds on the control plane).
"""

from __future__ import annotations

import random
from typing import Any

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from harness.durations import Duration
from harness.errors import ConfigError
from harness.factory.faults import KINDS, Fault, build_fault

ORDER_PATH = "/api/order"


class FaultSpec(BaseModel):
    """kind, name, probability, paths, at/window, for, settings (the kind's own)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    kind: str = Field(validation_alias=AliasChoices("kind", "type"), description="fault kind")
    name: str = Field("", pattern=r"^[A-Za-z0-9_.-]{0,40}$")
    probability: float = Field(1.0, ge=0.0, le=1.0, description="share of requests it acts on")
    paths: list[str] = Field(default_factory=lambda: [ORDER_PATH])
    at: Duration | None = Field(None, description="starts this long after arming")
    window: tuple[Duration, Duration] | None = Field(None, description="random start, seeded")
    for_: Duration | None = Field(None, alias="for", gt=0, description="then ends by itself")
    settings: dict[str, Any] = Field(default_factory=dict)

    @field_validator("kind")
    @classmethod
    def _known(cls, kind: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}: use one of {', '.join(sorted(KINDS))}")
        return kind

    @field_validator("settings")
    @classmethod
    def _settings(cls, settings: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        if info.data.get("kind") in KINDS:
            try:
                build_fault(info.data["kind"], settings)
            except ConfigError as exc:  # said as a ValueError so pydantic names the field
                fix = f" ({exc.fix})" if exc.fix else ""
                raise ValueError(f"{exc.message}{fix}") from None
        return settings

    @model_validator(mode="after")
    def _valid(self) -> FaultSpec:
        if self.at is not None and self.window is not None:
            raise ValueError("give `at` (e.g. 2m) or `window` (e.g. [1m, 5m]), not both")
        if self.window and self.window[1] < self.window[0]:
            raise ValueError("window ends before it starts")
        if self.real and self.paths != [ORDER_PATH]:
            raise ValueError(f"{self.kind} is the real factory's chaos: it acts on {ORDER_PATH}")
        return self

    @property
    def real(self) -> bool:
        """A chaos type of the real factory: armed as the vendor's chaos episode."""
        return KINDS[self.kind].real

    def fault(self) -> Fault:
        return build_fault(self.kind, self.settings)

    def start_s(self, rng: random.Random) -> float:
        """Seconds from arming to its start: `at`, a seeded draw in `window`, or 0."""
        if self.window is not None:
            return rng.uniform(*self.window)
        return self.at or 0.0

    def scaled(self, factor: float) -> FaultSpec:
        """This fault with every length of time multiplied by `factor` (1 / the time scale)."""
        update: dict[str, Any] = {"settings": self.fault().scaled(factor)}
        if self.at is not None:
            update["at"] = self.at * factor
        if self.window is not None:
            update["window"] = (self.window[0] * factor, self.window[1] * factor)
        if self.for_ is not None:
            update["for_"] = self.for_ * factor
        return self.model_copy(update=update)

    def wire(self) -> dict[str, Any]:
        """The JSON the control plane takes."""
        return self.model_dump(by_alias=True, exclude_none=True)

    def describe(self) -> str:
        """`latency on 30 % (fixed_ms 4000, jitter_ms 2000) for 300 s`, for people."""
        given = self.model_dump()["settings"]
        settings = ", ".join(f"{k} {v}" for k, v in given.items())
        chance = f" on {self.probability:.0%}" if self.probability < 1 else ""
        lasting = f" for {self.for_:g} s" if self.for_ is not None else ""
        return f"{self.kind}{chance}" + (f" ({settings})" if settings else "") + lasting

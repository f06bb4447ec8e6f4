"""`flap`: another fault, on for `on_s` seconds then off for `off_s`, counted from arming."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator
from starlette.responses import Response

from harness.factory.faults import KINDS, Fault, FaultContext, build_fault


class Flap(Fault, kind="flap"):
    durations = ("on_s", "off_s")
    on_s: float = Field(gt=0)
    off_s: float = Field(gt=0)
    fault: dict[str, Any] = Field(default_factory=lambda: {"kind": "error"})

    @model_validator(mode="after")
    def _inner_is_valid(self) -> Flap:
        self.inner()
        return self

    def inner(self) -> Fault:
        kind = self.fault.get("kind", "")
        if kind == "flap" or getattr(KINDS.get(kind), "real", False):
            raise ValueError("a flap wraps an extra fault, not a flap or a real chaos type")
        return build_fault(kind, self.fault.get("settings", {}), where="settings.fault.settings")

    def scaled(self, factor: float) -> dict[str, Any]:
        inner = {**self.fault, "settings": self.inner().scaled(factor)}
        return {**super().scaled(factor), "fault": inner}

    def is_on(self, ctx: FaultContext) -> bool:
        return (ctx.now - ctx.armed_at) % (self.on_s + self.off_s) < self.on_s

    async def apply(self, ctx: FaultContext) -> Response | None:
        return await self.inner().apply(ctx) if self.is_on(ctx) else None

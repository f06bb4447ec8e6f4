"""Extra fault kinds the real factory lacks, armed through the control plane.

Like toxiproxy's toxics: each kind is one small module whose `Fault` subclass registers itself by
its `kind`; the common fields (name, probability, paths) live in `FaultSpec`, apart from each
kind's own `settings`, and probability is applied in one place: `FaultEngine.apply`.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from harness.errors import ConfigError

KINDS: dict[str, type[Fault]] = {}


@dataclass
class FaultContext:
    """What a fault may use: the request, when it was armed, and a way to drop the connection."""

    request: Request
    armed_at: float
    now: float
    rng: random.Random

    async def abort(self) -> None:
        """Close the TCP connection with a reset and no answer (needs `harness serve factory`)."""
        abort: Callable[[], Awaitable[None]] | None = self.request.scope.get("extensions", {}).get(
            "harness.abort"
        )
        if abort is None:
            raise RuntimeError("this fault needs a real socket: run the factory with uvicorn")
        await abort()


class Fault(BaseModel):
    """Base of a fault kind's own settings. Subclasses set `kind` and implement `apply`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: ClassVar[str]

    def __init_subclass__(cls, kind: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if kind:
            cls.kind = kind
            KINDS[kind] = cls

    async def apply(self, ctx: FaultContext) -> Response | None:
        """Answer instead of the factory (a Response), or return None to let the order go on."""
        raise NotImplementedError


class FaultSpec(BaseModel):
    """The common fields of every armed fault; `settings` are checked by the kind's own model."""

    model_config = ConfigDict(extra="forbid")
    kind: str
    name: str = ""
    probability: float = Field(1.0, ge=0.0, le=1.0)
    paths: list[str] = Field(default_factory=lambda: ["/api/order"])
    settings: dict[str, Any] = Field(default_factory=dict)


def build_fault(kind: str, settings: dict[str, Any], *, where: str = "settings") -> Fault:
    """The kind's settings model, or ConfigError naming the bad field and the known kinds."""
    cls = KINDS.get(kind)
    if cls is None:
        raise ConfigError(
            "kind", f"unknown fault kind {kind!r}", fix=f"use one of: {', '.join(sorted(KINDS))}"
        )
    try:
        return cls.model_validate(settings)
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in (where, *first["loc"]))
        raise ConfigError(path, first["msg"], fix=f"see the {kind} fault in the README") from None


@dataclass(frozen=True)
class ArmedFault:
    spec: FaultSpec
    fault: Fault
    armed_at: float


class FaultEngine:
    """Turns stored specs into fault objects (cached) and applies them to one request."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._cache: dict[tuple[str, float], ArmedFault] = {}

    def armed(self, stored: tuple[tuple[str, dict[str, Any], float], ...]) -> list[ArmedFault]:
        faults = []
        for name, spec, armed_at in stored:
            key = (name, armed_at)
            if key not in self._cache:
                parsed = FaultSpec.model_validate(spec)
                self._cache[key] = ArmedFault(
                    parsed, build_fault(parsed.kind, parsed.settings), armed_at
                )
            faults.append(self._cache[key])
        return faults

    async def apply(
        self, faults: list[ArmedFault], request: Request, now: float
    ) -> Response | None:
        for armed in faults:
            if request.url.path not in armed.spec.paths:
                continue
            if self.rng.random() >= armed.spec.probability:
                continue
            ctx = FaultContext(request, armed.armed_at, now, self.rng)
            answer = await armed.fault.apply(ctx)
            if answer is not None:
                return answer
        return None


# Importing the kinds registers them.
from harness.factory.faults import (  # noqa: E402
    error,
    flap,
    hang,
    latency,
    malformed,
    ratelimit,
    reset,
)

__all__ = [
    "KINDS",
    "Fault",
    "FaultEngine",
    "FaultSpec",
    "build_fault",
    "error",
    "flap",
    "hang",
    "latency",
    "malformed",
    "ratelimit",
    "reset",
]

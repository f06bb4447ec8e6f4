"""Fault kinds: the real factory's chaos types and the extra ones, each one small module.

Like toxiproxy's toxics: each kind is one module of this package whose `Fault` subclass registers
itself by its `kind` (a kind registered twice is refused); the modules are discovered, not listed.
The common fields (name, probability, paths, when) live in `FaultSpec` (faults/spec.py), apart
from each kind's own `settings`, and probability is applied in one place: `hits`.

A kind with `real = True` is a chaos type of the real factory (`PUT /api/vendor/chaos/:type`): it
acts only inside the vendor's chaos *episode*, which gives it the fixCode and the report URL, and
which "Problem resolved" ends. Every other kind is an extra fault, armed by name beside it.
"""

from __future__ import annotations

import importlib
import pkgutil
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from harness.errors import ConfigError

KINDS: dict[str, type[Fault]] = {}


@dataclass(frozen=True)
class Episode:
    """What the real chaos types answer with: the episode's report URL, the factory's dead JWT
    and its orderDelay (the throttle's wait)."""

    report_url: str
    dead_jwt: str
    order_delay_ms: int


@dataclass
class FaultContext:
    """What a fault may use: the request, when it was armed, and a way to drop the connection."""

    request: Request
    armed_at: float
    now: float
    rng: random.Random
    episode: Episode | None = None

    async def abort(self) -> None:
        """Close the TCP connection with a reset and no answer (needs `harness serve factory`)."""
        abort: Callable[[], Awaitable[None]] | None = self.request.scope.get("extensions", {}).get(
            "harness.abort"
        )
        if abort is None:
            raise RuntimeError("this fault needs a real socket: run the factory with uvicorn")
        await abort()

    def need_episode(self) -> Episode:
        if self.episode is None:
            raise RuntimeError("a real chaos type acts only inside the vendor's chaos episode")
        return self.episode


class Fault(BaseModel):
    """Base of a fault kind's own settings. Subclasses set `kind` and implement `apply`.

    `durations` names the settings that are lengths of time (in their field's unit), which a
    scenario's time scale shrinks; `real` marks the real factory's chaos types.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: ClassVar[str]
    real: ClassVar[bool] = False
    durations: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, kind: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not kind:
            return
        if kind in KINDS:
            raise ValueError(
                f"fault kind {kind!r} is registered twice: by {KINDS[kind].__module__} and "
                f"{cls.__module__}; give one of them another kind"
            )
        cls.kind = kind
        KINDS[kind] = cls

    async def apply(self, ctx: FaultContext) -> Response | None:
        """Answer instead of the factory (a Response), or return None to let the order go on."""
        raise NotImplementedError

    def scaled(self, factor: float) -> dict[str, Any]:
        """These settings with every duration multiplied by `factor` (1 / the time scale)."""
        settings = self.model_dump()
        for name in self.durations:
            if settings.get(name) is not None:
                settings[name] *= factor
        return settings


def real_types() -> tuple[str, ...]:
    """The real factory's chaos types (`badjwt`, `fail`, `throttle`), from the registry."""
    return tuple(sorted(k for k, cls in KINDS.items() if cls.real))


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
        fix = f"see the {kind} fault in docs/faults.md"
        raise ConfigError(path, first["msg"], fix=fix) from None


def hits(probability: float, paths: list[str], request: Request, rng: random.Random) -> bool:
    """Whether an armed fault acts on this request: its path, then its probability (the one
    place probability is applied, for the episode and for every extra fault)."""
    if request.url.path not in paths:
        return False
    return probability >= 1.0 or rng.random() < probability


def _discover() -> None:
    """Import every module of this package: each kind registers itself."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_discover()

from harness.factory.faults.engine import ArmedFault, FaultEngine  # noqa: E402
from harness.factory.faults.spec import FaultSpec  # noqa: E402

__all__ = [
    "KINDS",
    "ArmedFault",
    "Episode",
    "Fault",
    "FaultContext",
    "FaultEngine",
    "FaultSpec",
    "build_fault",
    "hits",
    "real_types",
]

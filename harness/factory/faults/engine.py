"""Applies the armed extra faults to one request: each inside its own start..end, on its paths,
with its probability; reports the first request each one acted on and each one's end."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from harness.factory.faults import Fault, FaultContext, hits
from harness.factory.faults.spec import FaultSpec


@dataclass(frozen=True)
class StoredFault:
    """An extra fault as the store keeps it: its spec and its instants (epoch seconds)."""

    name: str
    spec: dict[str, Any]
    armed: float
    start: float
    end: float | None = None
    started: float | None = None  # the first request it acted on
    ended: float | None = None  # its end, once recorded

    def acting(self, now: float) -> bool:
        return self.start <= now and (self.end is None or now < self.end)

    def overdue(self, now: float) -> bool:
        """Past its end, and the end not yet recorded."""
        return self.end is not None and now >= self.end and self.ended is None


@dataclass(frozen=True)
class ArmedFault:
    stored: StoredFault
    spec: FaultSpec
    fault: Fault


class FaultEngine:
    """Turns stored specs into fault objects (cached) and applies them to one request."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._cache: dict[tuple[str, float], tuple[FaultSpec, Fault]] = {}

    def built(self, name: str, armed: float, spec: dict[str, Any]) -> tuple[FaultSpec, Fault]:
        key = (name, armed)
        if key not in self._cache:
            parsed = FaultSpec.model_validate(spec)
            self._cache[key] = (parsed, parsed.fault())
        return self._cache[key]

    def armed(self, stored: tuple[StoredFault, ...]) -> list[ArmedFault]:
        return [ArmedFault(s, *self.built(s.name, s.armed, s.spec)) for s in stored]

    async def apply(
        self,
        faults: list[ArmedFault],
        request: Request,
        now: float,
        first_hit: Callable[[StoredFault, float], None],
    ) -> Response | None:
        for armed in faults:
            if not armed.stored.acting(now):
                continue
            if not hits(armed.spec.probability, armed.spec.paths, request, self.rng):
                continue
            if armed.stored.started is None:
                first_hit(armed.stored, now)
            ctx = FaultContext(request, armed.stored.start, now, self.rng)
            answer = await armed.fault.apply(ctx)
            if answer is not None:
                return answer
        return None

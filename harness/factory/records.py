"""What the factory's store hands out: a vendor with its chaos episode, and the snapshot an
order reads at one instant (harness.factory.store reads and writes them)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from harness.factory.faults.engine import StoredFault
from harness.factory.timefmt import epoch_to_iso


@dataclass(frozen=True)
class Chaos:
    """A vendor's chaos record: one episode of a real chaos type (its `spec` the FaultSpec it was
    armed with, `end` set by `for`); `episode` numbers each arming so stale writes can be told
    apart."""

    type: str = "none"
    fix_code: str | None = None
    initiated: float | None = None
    start: float | None = None
    fix_date: float | None = None
    episode: int = 0
    first_affected: float | None = None
    spec: dict[str, Any] = field(default_factory=dict)
    end: float | None = None

    @property
    def name(self) -> str:
        """What the transitions call it: its spec's name, else its type."""
        return self.spec.get("name") or self.type

    def active(self, now: float) -> bool:
        """True when this chaos acts on orders at `now` (armed, started, not yet over)."""
        started = self.type != "none" and self.start is not None and self.start <= now
        return started and not self.expired(now)

    @property
    def probability(self) -> float:
        return float(self.spec.get("probability", 1.0))

    @property
    def fault_spec(self) -> dict[str, Any]:
        """The FaultSpec it was armed with (a bare type when armed by an older harness)."""
        return self.spec or {"kind": self.type}

    def expired(self, now: float) -> bool:
        """Armed with `for`, and that time is up (its end not yet recorded)."""
        return self.type != "none" and self.end is not None and now >= self.end

    def public(self) -> dict[str, Any]:
        """The record as the real factory's `GET /api/vendor` shows it (no fixCode)."""
        record: dict[str, Any] = {"type": self.type}
        for name, value in (
            ("initiatedDate", self.initiated),
            ("startDate", self.start),
            ("fixDate", self.fix_date),
        ):
            if value is not None:
                record[name] = epoch_to_iso(value)
        return record


@dataclass(frozen=True)
class Vendor:
    id: str
    name: str
    api_key: str
    created: str
    chaos: Chaos


@dataclass(frozen=True)
class Snapshot:
    """Everything an order needs, read at one instant."""

    vendor: Vendor
    order_delay_ms: int
    faults: tuple[StoredFault, ...]


def vendor_from_row(row: tuple[Any, ...]) -> Vendor:
    vid, name, key, created, kind, code, initiated, start, fixed, episode, first, spec, end = row
    chaos = Chaos(
        kind, code, initiated, start, fixed, episode, first, json.loads(spec or "{}"), end
    )
    return Vendor(vid, name, key, created, chaos)

"""The scenario's chaos on the factory: arm each fault in scenario time, and turn the factory's
record of them into timeline events, knowing when the whole incident is over."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from harness.factory.control import ChaosControl
from harness.scenario import Scenario
from harness.timeline import ChaosArmed, ChaosEnded, ChaosStarted, Event

STARTS = {"chaos_started", "fault_started"}
ENDS = {
    "chaos_resolved": "resolved",
    "chaos_expired": "expired",
    "chaos_cleared": "cleared",
    "fault_ended": "expired",
    "fault_removed": "cleared",
}


def arm_faults(control: ChaosControl, scenario: Scenario, t0: float) -> list[ChaosArmed]:
    """Arm every fault of `scenario.chaos` (scenario time 0 is the epoch `t0`): windows drawn
    with the scenario's seed, every length of time divided by the time scale. Returns the
    events to record, one a fault."""
    rng, scale, armed = random.Random(scenario.seed), scenario.time_scale, []
    for spec in scenario.chaos:
        start_st = spec.start_s(rng)
        start = datetime.fromtimestamp(t0 + start_st / scale, UTC)
        control.arm_fault(spec.scaled(1 / scale), start)
        ends = None if spec.for_ is None else round(start_st + spec.for_, 3)
        armed.append(
            ChaosArmed(
                type=spec.kind,
                name=spec.name,
                starts_at_st=round(start_st, 3),
                ends_at_st=ends,
                fault=spec.describe(),
                episode=spec.real,
            )
        )
    return armed


@dataclass
class FaultTally:
    """Which faults the factory armed, started and ended, from its transitions in order."""

    armed: set[str] = field(default_factory=set)
    ended: set[str] = field(default_factory=set)
    fixed: set[str] = field(default_factory=set)  # resolved or expired

    def event(self, record: dict[str, Any]) -> Event | None:
        """The timeline event of one factory transition (None: not about a fault)."""
        name = record.get("name") or record.get("type", "")
        kind = record.get("type") or record.get("spec", {}).get("kind", "")
        if record["event"] in ("chaos_armed", "fault_added"):
            self.armed.add(name)
            self.ended.discard(name)
            self.fixed.discard(name)
            return None
        if record["event"] in STARTS:
            return ChaosStarted(type=kind, name=name)
        how = ENDS.get(record["event"])
        if how is None or name in self.ended:
            return None  # (a fault removed after it had expired)
        self.ended.add(name)
        if how != "cleared":
            self.fixed.add(name)
        return ChaosEnded(type=kind, how=how, name=name)

    def over(self) -> bool:
        """Every armed fault ended on its own or was resolved (the rollback's clear is no end)."""
        return bool(self.armed) and self.armed <= self.fixed

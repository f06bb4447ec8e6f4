"""A scenario's `chaos:` (one fault or a list), the load test's degradations as the same spec, the
factory's transitions as timeline events, and when the incident is over."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.load.config import Load
from harness.runner.arm import FaultTally
from harness.scenario import ScenarioError, load_scenario
from harness.timeline import ChaosArmed, ChaosEnded
from harness.verdict import incident_end


def scenario(tmp_path: Path, chaos: object):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({"name": "s", "chaos": chaos}))
    return load_scenario(path)


def test_the_single_form_still_reads_and_its_order_delay_is_the_throttles(tmp_path: Path) -> None:
    (fault,) = scenario(tmp_path, {"type": "throttle", "at": "2m", "order_delay": "20s"}).chaos
    assert (fault.kind, fault.name, fault.at, fault.settings) == (
        "throttle",
        "throttle",
        120.0,
        {"delay_ms": 20000.0},
    )


def test_a_list_arms_several_faults_each_named_and_timed(tmp_path: Path) -> None:
    chaos = [
        {"kind": "latency", "at": "2m", "for": "5m", "probability": 0.3},
        {"kind": "latency", "window": ["1m", "3m"]},
        {"type": "fail", "at": "4m"},
    ]
    faults = scenario(tmp_path, chaos).chaos
    assert [f.name for f in faults] == ["latency-1", "latency-2", "fail"]
    assert (faults[0].for_, faults[0].probability) == (300.0, 0.3)


@pytest.mark.parametrize(
    ("chaos", "said"),
    [
        ([{"type": "fail", "at": "1m"}, {"type": "badjwt", "at": "2m"}], "at most one"),
        ([{"kind": "error"}], "give `at`"),
        ([{"kind": "error", "at": 1, "name": "x"}, {"kind": "hang", "at": 1, "name": "x"}], "name"),
        ([{"kind": "latency", "at": 1, "settings": {"fixed_ms": -1}}], "chaos.0.settings"),
        ({"type": "explode", "at": 1}, "chaos.type"),
        ([], "at least one"),
    ],
)
def test_bad_chaos_is_refused_naming_the_problem(tmp_path: Path, chaos: object, said: str) -> None:
    with pytest.raises(ScenarioError, match=said):
        scenario(tmp_path, chaos)


def test_load_degradations_are_fault_specs_and_refuse_a_real_type() -> None:
    load = Load.model_validate({"degradations": {"slow": {"kind": "latency", "for": 5}}})
    assert load.degradations["slow"].for_ == 5.0
    with pytest.raises(ValueError, match="real chaos type"):
        Load.model_validate({"degradations": {"down": {"kind": "fail"}}})


def test_the_tally_turns_transitions_into_events_and_knows_when_all_faults_are_over() -> None:
    tally = FaultTally()
    records = [
        {"event": "fault_added", "name": "slow", "spec": {"kind": "latency"}},
        {"event": "chaos_armed", "type": "fail", "name": "fail"},
        {"event": "fault_started", "name": "slow", "type": "latency"},
        {"event": "chaos_started", "name": "fail", "type": "fail"},
        {"event": "chaos_resolved", "name": "fail", "type": "fail"},
    ]
    found = [tally.event(r) for r in records]
    assert [e.kind if e else None for e in found] == [
        None,
        None,
        "chaos_started",
        "chaos_started",
        "chaos_ended",
    ]
    assert not tally.over()  # the latency is still on
    ended = tally.event({"event": "fault_ended", "name": "slow", "type": "latency"})
    assert isinstance(ended, ChaosEnded) and ended.how == "expired" and tally.over()
    assert tally.event({"event": "fault_removed", "name": "slow", "type": "latency"}) is None


def test_the_incident_ends_when_every_armed_fault_resolved_or_expired() -> None:
    events = [
        ChaosArmed(type="error", name="a", starts_at_st=0),
        ChaosArmed(type="fail", name="b", starts_at_st=0),
        ChaosEnded(type="fail", name="b", how="resolved", st=10),
        ChaosEnded(type="error", name="a", how="expired", st=20),
    ]
    assert incident_end(events).st == 20
    assert incident_end(events[:3]) is None
    cleared = [*events[:3], ChaosEnded(type="error", name="a", how="cleared", st=30)]
    assert incident_end(cleared) is None  # the rollback is no fix

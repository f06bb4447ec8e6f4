"""A scenario's `chaos:`: the faults a run arms, one (a mapping, the shipped form) or a list.

Each fault is a `FaultSpec` (harness/factory/faults/spec.py) written in scenario time: `at` or
`window`, optional `for`, and the kind's settings; the runner scales them (harness/runner/arm.py).
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from harness.durations import parse_duration
from harness.factory.faults import FaultSpec

DEFAULT_ORDER_DELAY_S = 32.0  # the real factory's orderDelay


def _as_list(value: Any) -> Any:
    """`chaos:` is one fault (a mapping, today's shipped form) or a list of them."""
    items = [value] if isinstance(value, dict) else value
    return [_legacy(i) for i in items] if isinstance(items, list) else items


def _legacy(item: Any) -> Any:
    """The single form's `order_delay` is the throttle's wait (`settings.delay_ms`)."""
    if not isinstance(item, dict) or "order_delay" not in item:
        return item
    item = dict(item)
    delay = parse_duration(item.pop("order_delay"))
    if item.get("type", item.get("kind")) == "throttle":
        item["settings"] = {"delay_ms": delay * 1000, **(item.get("settings") or {})}
    return item


def _named(faults: list[FaultSpec]) -> list[FaultSpec]:
    """Every fault named (its kind, or kind-N when the kind repeats); names unique; a start each;
    at most one real chaos type (the factory keeps one chaos episode at a time)."""
    kinds = Counter(f.kind for f in faults)
    named = [
        f
        if f.name
        else f.model_copy(update={"name": f.kind if kinds[f.kind] == 1 else f"{f.kind}-{i + 1}"})
        for i, f in enumerate(faults)
    ]
    if not named:
        raise ValueError("arm at least one fault, e.g. {type: fail, at: 2m}")
    for i, fault in enumerate(named):
        if fault.at is None and fault.window is None:
            raise ValueError(
                f"chaos[{i}] ({fault.kind}): give `at` (e.g. 2m) or `window` (e.g. [1m, 5m])"
            )
    if len({f.name for f in named}) < len(named):
        raise ValueError("two faults share a name: give each its own `name`")
    real = [f.kind for f in named if f.real]
    if len(real) > 1:
        raise ValueError(f"at most one of the real chaos types per scenario, not {real}")
    return named


Chaos = Annotated[list[FaultSpec], BeforeValidator(_as_list), AfterValidator(_named)]

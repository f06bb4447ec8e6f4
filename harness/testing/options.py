"""The options of the `pizza` marker (`@pytest.mark.pizza(order_delay_ms=200)`), checked."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ConfigError


@dataclass(frozen=True)
class PizzaOptions:
    """Server and run options a test sets with the marker; the defaults suit a quick test."""

    order_delay_ms: int = 50  # the factory's orderDelay (throttled orders wait this long)
    factory_seed: int | None = None  # seeds the factory's random start times and faults
    report_field: str = "followLinkToEndChaos"  # the service's report URL field
    factory_timeout: float | None = None  # seconds the service waits for the factory
    time_scale: float | None = None  # harness_run: overrides the scenario's time_scale
    report_dir: Path | None = None  # harness_run: where run folders go

    @classmethod
    def from_markers(cls, markers: Iterable[Mapping[str, Any]]) -> PizzaOptions:
        """Merge the markers' keyword arguments, closest first (a test's over its module's)."""
        known = {f.name for f in dataclasses.fields(cls)}
        merged: dict[str, Any] = {}
        for kwargs in markers:
            for key, value in kwargs.items():
                if key not in known:
                    raise ConfigError(
                        f"pizza marker: {key}",
                        "unknown option",
                        fix=f"use one of: {', '.join(sorted(known))}",
                    )
                merged.setdefault(key, value)
        if merged.get("report_dir") is not None:
            merged["report_dir"] = Path(merged["report_dir"])
        return cls(**merged)

"""What `harness validate` and `harness run` say about a scenario besides "invalid": the nearest
field name for a misspelt one, and a warning when a run will take long in wall time."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel

from harness.durations import format_duration

LONG_WALL_S = 120.0  # a run longer than this in wall time gets the warning


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model an annotation holds (`Traffic`, `Load | None`, `list[Rule]`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list, tuple, dict):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None


def nearest_field(root: type[BaseModel], loc: tuple[Any, ...]) -> str | None:
    """For an unknown field at `loc` (pydantic's error location), the closest real field name."""
    model: type[BaseModel] | None = root
    for part in loc[:-1]:
        if isinstance(part, int) or model is None:
            continue  # a list index: same model
        field = model.model_fields.get(str(part))
        model = _model_in(field.annotation) if field else None
    if model is None:
        return None
    names = [*model.model_fields, *(f.alias for f in model.model_fields.values() if f.alias)]
    close = difflib.get_close_matches(str(loc[-1]), names, n=1, cutoff=0.6)
    return close[0] if close else None


def estimated_wall_s(scenario: Any) -> float:
    """The longest a run can take in wall seconds: until recovery plus the cooldown when the
    file expects a recovery, else until max_duration."""
    starts = [f.at if f.window is None else f.window[1] for f in scenario.chaos]
    chaos = max((s for s in starts if s is not None), default=0.0)
    recover = scenario.expect.recover_within
    if recover is None:
        end = scenario.max_duration
    else:
        end = min(scenario.max_duration, chaos + recover + scenario.cooldown)
    return end / scenario.time_scale


def long_run_warning(scenario: Any) -> str | None:
    wall = estimated_wall_s(scenario)
    if wall <= LONG_WALL_S:
        return None
    scale = max(1, round(scenario.time_scale * wall / 30))
    return (
        f"warning: {scenario.name} can take up to {format_duration(wall)} of wall time "
        f"(time_scale {scenario.time_scale:g}: scenario time runs at "
        f"{scenario.time_scale:g}x wall speed); to shorten it, set `time_scale: {scale}` in the "
        f"file or run with --time-scale {scale} (about 30 s)"
    )

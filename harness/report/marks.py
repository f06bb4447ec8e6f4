"""What the time chart marks, Grafana-like: the chaos and the alert's pending and firing as bands,
the other milestones as lines, and every label placed in a lane where it overlaps no other label.

Label widths are measured from the font's outlines (matplotlib's TextPath), so the lanes are
decided before anything is drawn; no label is ever moved after the fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.report.facts import Facts
from harness.report.series import mmss

CHAOS, PENDING, FIRING = "#c8372d", "#e0a100", "#e06600"


@dataclass(frozen=True)
class Band:
    label: str
    start: float
    end: float | None  # None: still on when the chart ends
    colour: str
    row: str  # "chaos" or "alert"


@dataclass(frozen=True)
class Mark:
    label: str
    at: float
    colour: str


def bands(facts: Facts) -> list[Band]:
    found = []
    if facts.chaos is not None:
        end = facts.chaos_ended.st if facts.chaos_ended else None
        found.append(Band("chaos", facts.chaos.st, end, CHAOS, "chaos"))
    pending, firing = facts.pending, facts.firing
    resolved = facts.resolved.st if facts.resolved else None
    if pending is not None:
        end = firing.st if firing is not None else resolved
        found.append(Band("pending", pending.st, end, PENDING, "alert"))
    if firing is not None:
        found.append(Band("firing", firing.st, resolved, FIRING, "alert"))
    return found


def marks(facts: Facts) -> list[Mark]:
    """The milestones drawn as lines (the bands' own starts are labelled with the bands)."""
    found = [
        ("chaos ended", facts.chaos_ended, CHAOS),
        ("alert resolved", facts.resolved, FIRING),
        ("paged", facts.notified, "#7a3fb0"),
        ("acknowledged", facts.acknowledged, "#2a62c9"),
        ("report called", facts.reports[0] if facts.reports else None, "#0f8a8a"),
        ("recovered", facts.recovered, "#2f7d3e"),
    ]
    return [Mark(label, e.st, colour) for label, e, colour in found if e is not None]


@dataclass(frozen=True)
class Label:
    text: str
    at: float  # scenario s it points at
    colour: str
    lane: int
    right: bool  # drawn ending at `at` (it would leave the chart on the right)


def text_width_px(text: str, size_pt: float, dpi: float) -> float:
    """The drawn width of `text` in bold (as the chart draws labels), with its padding spaces."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(weight="bold", size=size_pt)
    width, _, _ = TextToPath().get_text_width_height_descent(f" {text} ", prop, ismath=False)
    return float(width) * dpi / 72


def place(
    items: list[tuple[str, float, str]], px_per_s: float, width_px: float, **font: Any
) -> list[Label]:
    """Each (text, at, colour) in the first lane where it overlaps nothing, 6 px apart."""
    spans = []
    for text, at, colour in items:
        size = text_width_px(text, font["size"], font["dpi"])
        right = at * px_per_s + size > width_px
        spans.append((at * px_per_s - (size if right else 0), size, text, at, colour, right))
    lane_ends: list[float] = []
    placed = []
    for left, size, text, at, colour, right in sorted(spans, key=lambda s: s[0]):
        lane = next((i for i, end in enumerate(lane_ends) if end + 6 <= left), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(0.0)
        lane_ends[lane] = left + size
        placed.append(Label(text, at, colour, lane, right))
    return placed


def labels(facts: Facts, px_per_s: float, width_px: float, size: float, dpi: float) -> list[Label]:
    items = [(f"{b.label} {mmss(b.start)}", b.start, b.colour) for b in bands(facts)]
    items += [(f"{m.label} {mmss(m.at)}", m.at, m.colour) for m in marks(facts)]
    return place(items, px_per_s, width_px, size=size, dpi=dpi)

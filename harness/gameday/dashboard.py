"""The game day's live view: traffic, error rate, alert and pager state, elapsed time and what
people did, with nothing about what was injected or when (`rich` on a terminal, plain lines
otherwise, e.g. when stdout is a file or a pipe)."""

from __future__ import annotations

import sys
import time
from collections import deque
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table

from harness.durations import format_duration
from harness.timeline import Action, Order
from harness.verdict import FAILED_OUTCOMES

RATE_WINDOW_S = 60.0  # scenario seconds the rates and the error rate look back over
LIVE_EVERY_S, PLAIN_EVERY_S = 0.25, 5.0  # wall seconds between redraws / plain lines


@dataclass
class View:
    """What the people on a game day may see, at one instant."""

    scenario: str
    time_scale: float
    st: float
    ok: int
    failed: int
    ok_per_s: float
    failed_per_s: float
    error_rate: float | None
    alert: str
    alerts: list[str]
    pager: str
    actions: list[Action]
    how_to_act: list[str] = field(default_factory=list)


class RecentOrders:
    """Order answers of the last minute of scenario time, fed from the timeline as it grows."""

    def __init__(self) -> None:
        self.read = 0
        self.recent: deque[tuple[float, bool]] = deque()
        self.ok = self.failed = 0

    def feed(self, events: list[Any]) -> None:
        for event in events[self.read :]:
            if isinstance(event, Order):
                bad = event.outcome in FAILED_OUTCOMES
                self.recent.append((event.st, bad))
                self.failed += bad
                self.ok += not bad
        self.read = len(events)

    def rates(self, st: float) -> tuple[float, float, float | None]:
        """Ok and failed orders per scenario second, and the failed share (None: no orders)."""
        while self.recent and self.recent[0][0] < st - RATE_WINDOW_S:
            self.recent.popleft()
        failed = sum(1 for _, bad in self.recent if bad)
        ok = len(self.recent) - failed
        span = min(RATE_WINDOW_S, max(st, 1.0))
        share = failed / len(self.recent) if self.recent else None
        return ok / span, failed / span, share


def elapsed(view: View) -> str:
    text = format_duration(view.st)
    return text if view.time_scale == 1 else f"{text} (scenario time, {view.time_scale:g}x)"


def error_rate(view: View) -> str:
    return "-" if view.error_rate is None else f"{view.error_rate:.0%}"


def action_line(action: Action) -> str:
    detail = f" {action.detail}" if action.detail else ""
    return f"{format_duration(action.st)}  {action.who}: {action.action}{detail}"


def panel(view: View) -> Table:
    """The terminal dashboard, one row per fact."""
    table = Table(title=f"JWT Pizza game day: {view.scenario}", show_header=False, expand=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("elapsed", elapsed(view))
    table.add_row(
        "orders/s",
        f"ok {view.ok_per_s:.2f}   failed {view.failed_per_s:.2f}   (last minute)",
    )
    table.add_row("error rate", f"{error_rate(view)}   (orders ok {view.ok}, failed {view.failed})")
    names = f"  {', '.join(view.alerts)}" if view.alerts else ""
    style = {"firing": "bold red", "pending": "yellow"}.get(view.alert, "green")
    table.add_row("alert", f"[{style}]{view.alert}[/]{names}")
    table.add_row("pager", view.pager)
    table.add_row("actions", "\n".join(action_line(a) for a in view.actions[-6:]) or "none yet")
    table.add_row("act", "\n".join(view.how_to_act))
    return table


def plain(view: View) -> str:
    """One progress line, for a log or a pipe."""
    alert = view.alert + (f" ({', '.join(view.alerts)})" if view.alerts else "")
    last = f"  last action: {action_line(view.actions[-1])}" if view.actions else ""
    return (
        f"  [{format_duration(view.st):>7}] orders ok {view.ok:>4} failed {view.failed:>4}  "
        f"{view.ok_per_s:.2f} ok/s {view.failed_per_s:.2f} failed/s  "
        f"error rate {error_rate(view):>4}  alert {alert}  pager {view.pager}{last}"
    )


class Dashboard:
    """Shows views: redrawn in place on a terminal; otherwise a plain line every few seconds
    and whenever the alert, the pager or the actions change."""

    def __init__(self, live: bool | None = None) -> None:
        self.live_mode = sys.stdout.isatty() if live is None else live
        self.live: Live | None = None
        self.last_shown = self.last_plain = float("-inf")
        self.last_key: tuple[str, str, int] | None = None
        self.orders = RecentOrders()

    def __enter__(self) -> Dashboard:
        if self.live_mode:
            self.live = Live(console=Console(), auto_refresh=False, transient=False)
            self.live.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

    def due(self) -> bool:
        return time.monotonic() - self.last_shown >= LIVE_EVERY_S

    def show(self, view: View) -> None:
        self.last_shown = time.monotonic()
        if self.live is not None:
            self.live.update(panel(view), refresh=True)
            return
        key = (view.alert, view.pager, len(view.actions))
        if key == self.last_key and self.last_shown - self.last_plain < PLAIN_EVERY_S:
            return
        self.last_key, self.last_plain = key, self.last_shown
        print(plain(view), flush=True)

"""`harness gameday SCENARIO`: the incident in real time, with people responding.

The chaos starts unannounced at a seeded-random moment of a window; nobody acknowledges the page
and (unless asked for) nobody calls the report URL but the people, through `harness ack`,
`harness resolve URL` and `harness abort` from another terminal. The run itself, its rollback on
every exit path, its verdict and its post-mortem are `harness run`'s (harness.runner.execute).
"""

from __future__ import annotations

import secrets
from functools import partial
from pathlib import Path

from pydantic import ValidationError

from harness.durations import parse_duration
from harness.errors import UsageError
from harness.gameday.dashboard import Dashboard
from harness.gameday.info import GAMEDAY_FILE, running_pid
from harness.gameday.loop import GameDay
from harness.runner import execute
from harness.scenario import Scenario, load_scenario

DEFAULT_WINDOW = (120.0, 600.0)  # 2m-10m of scenario time, when the scenario names no window


def parse_window(text: str) -> tuple[float, float]:
    """`2m-10m` -> (120.0, 600.0); UsageError naming --window otherwise."""
    low, sep, high = text.partition("-")
    try:
        if not sep:
            raise ValueError("write it as MIN-MAX")
        window = (parse_duration(low), parse_duration(high))
    except ValueError as exc:
        raise UsageError(f"--window {text!r}: {exc}", fix="write e.g. --window 2m-10m") from None
    if window[1] < window[0]:
        raise UsageError(f"--window {text!r} ends before it starts", fix="write e.g. 2m-10m")
    return window


def gameday_scenario(
    scenario: Scenario,
    *,
    window: tuple[float, float] | None = None,
    seed: int | None = None,
    autoreport: bool = False,
) -> Scenario:
    """The scenario as a game day runs it: an unannounced start in a window, a fresh seed unless
    one is given, no simulated acknowledgement, and the auto-reporter off unless asked for."""
    data = scenario.model_dump()
    first = data["chaos"][0]  # the first fault starts unannounced; the others keep their `at`
    first.update(at=None, window=window or scenario.chaos[0].window or DEFAULT_WINDOW)
    data["seed"] = secrets.randbelow(2**31) if seed is None else seed
    data["pager"]["acknowledge_after"] = None
    trigger = data["autoreport"]["trigger"]
    data["autoreport"]["trigger"] = (
        ("firing" if trigger == "off" else trigger) if autoreport else "off"
    )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise UsageError(
            f"{scenario.name}: cannot run as a game day: {problems}",
            fix="give a --window that ends before the scenario's max_duration",
        ) from None


def run_gameday(
    path: Path,
    *,
    time_scale: float | None = None,
    window: tuple[float, float] | None = None,
    seed: int | None = None,
    autoreport: bool = False,
    report_dir: Path = Path("reports"),
    dashboard: bool | None = None,
) -> int:
    """Real time unless `time_scale` is given (the file's time_scale is not used)."""
    scenario = load_scenario(path, time_scale=1.0 if time_scale is None else time_scale)
    scenario = gameday_scenario(scenario, window=window, seed=seed, autoreport=autoreport)
    report_dir = report_dir.resolve()
    pid = running_pid(report_dir / GAMEDAY_FILE)
    if pid is not None:
        raise UsageError(
            f"a game day is already running from {report_dir} (pid {pid})",
            fix="end it with `harness abort`, or give another --report-dir",
        )
    report_dir.mkdir(parents=True, exist_ok=True)
    board = Dashboard(live=False if dashboard is False else None)
    make_loop = partial(GameDay.make_loop, report_dir=report_dir, dashboard=board)
    return execute(scenario, report_dir, f"harness gameday {path}", make_loop).exit_code

"""What a newcomer is told: every problem of a file at once with the nearest field name, a warning
when a run will take long in wall time, a live line that updates in place only on a terminal,
and a run summary whose milestones are in time order and whose last line is the post-mortem."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from harness.results import render
from harness.runner.live import StatusWriter
from harness.scenario import ScenarioError, load_scenario
from harness.scenario_checks import estimated_wall_s, long_run_warning

SHIPPED = sorted(Path("scenarios").glob("*.yaml"))


def test_every_problem_is_reported_at_once_with_the_nearest_field(tmp_path: Path) -> None:
    path = tmp_path / "typos.yaml"
    path.write_text(
        "name: typos\nchaos: {type: fail, at: 2m}\ntrafic: {diners: 2}\n"
        "expect: {detect_whithin: 1m}\npager: {oncal: Lee}\n"
        "alerting:\n  rules:\n    - {alert: X, expr: 'sum(rate(x[1m]) >', for: 1m}\n"
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert "trafic: Extra inputs are not permitted (did you mean `traffic`?)" in text
    assert "expect.detect_whithin" in text and "(did you mean `detect_within`?)" in text
    assert "pager.oncal" in text and "(did you mean `oncall`?)" in text
    assert "alerting.rules[0].expr" in text  # the rules' stage too, in the same message


def test_a_real_time_scenario_is_warned_about_and_told_how_to_shorten(tmp_path: Path) -> None:
    path = tmp_path / "slow.yaml"
    path.write_text("name: slow\nchaos: {type: fail, at: 2m}\nexpect: {recover_within: 5m}\n")
    scenario = load_scenario(path)
    assert estimated_wall_s(scenario) == pytest.approx(480.0)  # 2m + 5m + the 1m cooldown
    warning = long_run_warning(scenario)
    assert warning is not None and "8m of wall time" in warning
    assert "time_scale: 16" in warning and "--time-scale 16" in warning


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_no_shipped_scenario_is_warned_about(path: Path) -> None:
    assert long_run_warning(load_scenario(path)) is None


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_live_line_updates_in_place_only_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HARNESS_LIVE", raising=False)
    screen = Terminal()
    live = StatusWriter(screen)
    live.write("ok 1")
    live.write("ok 2")
    live.end()
    assert screen.getvalue() == "\rok 1\x1b[K\rok 2\x1b[K\n"
    log = io.StringIO()
    plain = StatusWriter(log)
    plain.write("ok 1")
    plain.end()
    assert log.getvalue() == "ok 1\n"
    monkeypatch.setenv("HARNESS_LIVE", "plain")
    assert not StatusWriter(Terminal()).in_place()


def test_the_summary_lists_milestones_in_time_order_and_ends_with_the_post_mortem() -> None:
    row = {"reached": True, "since_chaos_s": 0.0, "wall_s": 1.0}
    data = {
        "scenario": "s",
        "time_scale": 60,
        "status": "passed",
        "exit_code": 0,
        "reason": "",
        "milestones": [
            {**row, "milestone": "report URL called", "scenario_s": 212.0},
            {"milestone": "acknowledged", "reached": False},
            {**row, "milestone": "chaos ended at the factory", "scenario_s": 211.0},
        ],
        "orders": {"ok": 3},
        "failed_orders": 0,
        "checks": [],
        "run_dir": "reports/x",
        "postmortem": "reports/x/postmortem.html",
    }
    text = render(data)
    ended, called = text.index("chaos ended at the factory"), text.index("report URL called")
    assert ended < called < text.index("acknowledged")  # time order; never reached: last
    assert text.splitlines()[-1] == "  post-mortem: reports/x/postmortem.html"

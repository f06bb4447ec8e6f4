"""The post-mortem from synthetic timelines: every section, figures that match the timeline,
identical rebuilds, real PNG charts, runs without recovery, and `harness report` errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.report import HTML, MARKDOWN, rebuild, write_postmortem
from harness.report.charts import LOGERRORS, TIMECHART
from harness.report.facts import gather
from harness.report.sections import TEAM
from harness.report.series import failed_per_bin, series
from harness.timeline import (
    Acknowledged,
    Alert,
    AlertRule,
    ChaosArmed,
    ChaosEnded,
    ChaosStarted,
    Check,
    LogLine,
    Notified,
    Order,
    Phase,
    Recovered,
    ReportCalled,
    RunEnded,
    RunStarted,
    Timeline,
    read_timeline,
)

T0, SCALE = 1_723_111_200.0, 60.0
SECTIONS = [
    "Summary",
    "Detection",
    "Impact",
    "Timeline",
    "Response",
    "Root cause",
    "Resolution",
    "Measured against the expectations",
    "Prevention",
    "Action items",
]


def wall(st: float) -> float:
    return T0 + st / SCALE


def write_run(run_dir: Path, *, recovered: bool = True) -> list[Any]:
    """A seed-like incident: chaos at 120 s, 6 failed orders by 3 diners, alert firing at 210 s."""
    timeline = Timeline(run_dir / "timeline.jsonl", SCALE)
    timeline.add(RunStarted(scenario="synthetic", time_scale=SCALE, seed=1), at=T0 - 2)
    rule = AlertRule(alertname="Fails", expr="sum(increase(fails_total[1m])) >= 3", for_s=60)
    timeline.add(rule, at=T0 - 1)
    timeline.start_clock(T0)

    def add(st: float, event: Any) -> None:
        timeline.add(event, at=wall(st))

    add(1, ChaosArmed(type="fail", starts_at_st=120))
    add(2, Phase(name="baseline"))
    for i in range(8):  # baseline: one ok order every 15 s
        add(5 + 15 * i, Order(diner=f"d{i % 4}", outcome="ok", start=wall(4 + 15 * i)))
    add(120, ChaosStarted(type="fail"))
    for i in range(6):  # 130, 145, ... 205: every one fails
        add(130 + 15 * i, Order(diner=f"d{i % 3}", outcome="failed", status=500, start=0))
        add(129 + 15 * i, LogLine(level="error", type="factory", status=500, message="chaos"))
    add(150, Alert(alertname="Fails", state_from="inactive", state_to="pending", value=3.0))
    add(210, Alert(alertname="Fails", state_from="pending", state_to="firing", value=6.0))
    add(240, Notified(group="g", status="firing", alerts=["Fails"], who="Lee Jensen"))
    add(258, Acknowledged(who="Lee Jensen"))
    if recovered:
        url = "http://127.0.0.1:9/api/support/x/report/y"
        add(212, ChaosEnded(type="fail", how="resolved"))
        add(
            212,
            ReportCalled(
                url=url, who="auto-reporter", status=200, message="Fixed", outcome="resolved"
            ),
        )
        add(215, Recovered(how="probe order verified"))
        for i in range(4):
            add(220 + 15 * i, Order(diner="d0", outcome="ok", start=0))
    passed = recovered
    detail = "recovered 95.0 s after the chaos started" if recovered else "never recovered"
    add(
        300,
        Check(
            name="recover_within",
            passed=passed,
            measured=95.0 if recovered else None,
            limit=480,
            detail=detail,
        ),
    )
    add(300, RunEnded(status="passed" if passed else "failed", exit_code=0 if passed else 1))
    timeline.close()
    return read_timeline(run_dir / "timeline.jsonl")


def write_throttle_run(run_dir: Path) -> list[Any]:
    """A throttle incident: every order from 2m on answered after 32 s (slow, none failed), the
    latency alert pending at 2m45s and firing at 3m45s, fixed at 4m, resolved at 5m."""
    timeline = Timeline(run_dir / "timeline.jsonl", SCALE)
    timeline.add(RunStarted(scenario="throttle", time_scale=SCALE, seed=7), at=T0 - 2)
    timeline.start_clock(T0)

    def add(st: float, event: Any) -> None:
        timeline.add(event, at=wall(st))

    add(1, ChaosArmed(type="throttle", starts_at_st=120))
    for i in range(24):  # one order every 15 s; those sent in the chaos take 32 s
        sent = 3 + 15 * i
        slow = 120 <= sent < 240
        took = 32.0 if slow else 1.5
        order = Order(diner=f"d{i % 4}", outcome="slow" if slow else "ok", start=wall(sent))
        add(sent + took, order)
    add(152, ChaosStarted(type="throttle"))
    add(165, Alert(alertname="Slow", state_from="inactive", state_to="pending", value=31.0))
    add(225, Alert(alertname="Slow", state_from="pending", state_to="firing", value=32.0))
    add(240, ChaosEnded(type="throttle", how="resolved"))
    add(241, Recovered(how="probe order verified"))
    add(255, Notified(group="g", status="firing", alerts=["Slow"], who="Lee Jensen"))
    add(300, Alert(alertname="Slow", state_from="firing", state_to="resolved", value=1.5))
    add(370, RunEnded(status="passed", exit_code=0))
    timeline.close()
    return read_timeline(run_dir / "timeline.jsonl")


def test_a_throttle_incident_shows_its_slow_orders(tmp_path: Path) -> None:
    write_run_events = write_throttle_run(tmp_path)
    write_postmortem(tmp_path, write_run_events)
    markdown = (tmp_path / MARKDOWN).read_text()
    assert "**8 orders were slow** out of 24" in markdown
    assert "24 orders: 16 ok, 8 slow, 0 bad pizza, 0 failed." in markdown
    data = series(gather(write_run_events))
    assert max(p for p in data.p95 if p is not None) == pytest.approx(32.0, abs=0.01)
    assert min(p for p in data.p50 if p is not None) == pytest.approx(1.5, abs=0.01)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    write_run(tmp_path)
    rebuild(tmp_path)
    return tmp_path


def test_every_section_is_in_the_markdown_and_the_html(run_dir: Path) -> None:
    markdown = (run_dir / MARKDOWN).read_text()
    page = (run_dir / HTML).read_text()
    for section in SECTIONS:
        assert f"\n## {section}\n" in markdown
        assert f"<h2>{section}</h2>" in page
    assert TEAM in markdown and "(to be written by the team)" in page
    assert page.count('src="data:image/png;base64,') == 2
    assert "<script" not in page and "https://" not in page and 'src="http' not in page


def test_the_figures_match_the_timeline(run_dir: Path) -> None:
    markdown = (run_dir / MARKDOWN).read_text()
    assert "for 1m35s, from 2:00 to the confirmed recovery at 3:35" in markdown
    assert (
        "6 orders failed, 0 were slow" in markdown and "**6 failed orders** out of 18" in markdown
    )
    assert "**3 distinct diners** of 4" in markdown
    assert "| failed | 6 |" in markdown
    assert "Firing: 3:30, value 6.00" in markdown
    assert "Paged: Lee Jensen at 4:00" in markdown
    assert "Acknowledged: by Lee Jensen at 4:18" in markdown
    assert "The alert fired 1m20s after the first failure" in markdown
    assert "held 1m in pending" in markdown
    assert "called by auto-reporter at 3:32" in markdown and "HTTP 200" in markdown
    assert "s wall" not in markdown.split("## Timeline")[0]  # one form of time in the text
    assert "| first failed order | 2:10 | +10s |" in markdown
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["failed_orders"] == 6 and summary["status"] == "passed"


def test_rebuilding_twice_gives_identical_markdown(run_dir: Path) -> None:
    before = (run_dir / MARKDOWN).read_text()
    rebuild(run_dir)
    assert (run_dir / MARKDOWN).read_text() == before
    write_postmortem(run_dir, read_timeline(run_dir / "timeline.jsonl"))
    assert (run_dir / MARKDOWN).read_text() == before


def test_the_rule_is_quoted_where_the_alert_is_explained(run_dir: Path) -> None:
    markdown = (run_dir / MARKDOWN).read_text()
    assert "- Rule: `Fails`: `sum(increase(fails_total[1m])) >= 3` held for 1m" in markdown
    assert "the rule needs `sum(increase(fails_total[1m])) >= 3` to hold for 1m." in markdown


def test_error_log_lines_are_binned_beside_the_failed_orders(run_dir: Path) -> None:
    facts = gather(read_timeline(run_dir / "timeline.jsonl"))
    data = series(facts)
    assert data.log_errors == [0] * 8 + [1] * 6 + [0] * 4
    assert failed_per_bin(data) == [0] * 8 + [1] * 6 + [0] * 4


def test_rebuilt_charts_are_byte_identical(run_dir: Path) -> None:
    before = {name: (run_dir / name).read_bytes() for name in (TIMECHART, LOGERRORS)}
    rebuild(run_dir)
    assert {name: (run_dir / name).read_bytes() for name in before} == before


def test_the_charts_are_real_pngs(run_dir: Path) -> None:
    for name in (TIMECHART, LOGERRORS):
        data = (run_dir / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n")
        assert len(data) > 10_000


def test_a_run_without_recovery_says_so(tmp_path: Path) -> None:
    write_postmortem(tmp_path, write_run(tmp_path, recovered=False))
    markdown = (tmp_path / MARKDOWN).read_text()
    assert markdown.splitlines()[2].startswith("**This run FAILED** (exit 1)")
    assert "the run **never** recovered" in markdown
    assert "The report URL was **never** called." in markdown
    assert "Bring `recover_within` within its limit (never recovered)." in markdown
    assert "Automate the report-URL call" in markdown
    for section in SECTIONS:
        assert f"\n## {section}\n" in markdown


def test_an_empty_timeline_still_gets_a_post_mortem(tmp_path: Path) -> None:
    (tmp_path / "timeline.jsonl").write_text("")
    rebuild(tmp_path)
    markdown = (tmp_path / MARKDOWN).read_text()
    assert "**This run INCOMPLETE**" in markdown and "\n## Action items\n" in markdown


def test_report_on_a_missing_folder_exits_2_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope"
    assert main(["report", str(missing)]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "Traceback" not in err
    assert main(["report", str(tmp_path)]) == 2
    assert str(tmp_path / "timeline.jsonl") in capsys.readouterr().err


def test_a_chart_failure_at_the_end_of_a_run_keeps_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import harness.report
    from harness.runner import finish
    from harness.scenario import load_scenario

    def broken(run_dir: Path, events: list[Any]) -> list[Path]:
        raise RuntimeError("no fonts")

    monkeypatch.setattr(harness.report, "write_postmortem", broken)
    scenario = load_scenario(Path(__file__).parent.parent / "scenarios" / "seed-incident.yaml")
    timeline = Timeline(tmp_path / "timeline.jsonl", SCALE)
    timeline.add(RunStarted(scenario="seed-incident", time_scale=SCALE, seed=1), at=T0)
    timeline.start_clock(T0)
    code = finish(timeline, scenario, tmp_path, "interrupted", "interrupted by a signal")
    out = capsys.readouterr().out
    assert code == 4 and "post-mortem not written: RuntimeError('no fonts')" in out
    assert (tmp_path / "summary.json").is_file() and not (tmp_path / MARKDOWN).exists()

"""The post-mortem from synthetic timelines: every section, figures that match the timeline,
identical rebuilds, real PNG charts, runs without recovery, and `harness report` errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main
from harness.report import HTML, MARKDOWN, rebuild, write_postmortem
from harness.report.charts import LOGERRORS, TIMECHART, binned, binned_log_errors
from harness.report.facts import gather
from harness.report.sections import TEAM
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
    assert "for 1m35s (1.58 s wall), from the chaos start to the confirmed recovery" in markdown
    assert "6 orders failed" in markdown and "**6 failed orders** out of 18" in markdown
    assert "**3 distinct diners** of 4" in markdown
    assert "| failed | 6 |" in markdown
    assert "Firing: 3m30s (+1m30s after the chaos start" in markdown
    assert "Paged: Lee Jensen at 4m (+2m after the chaos start" in markdown
    assert "Acknowledged: by Lee Jensen at 4m18s" in markdown
    assert "The alert fired 1m20s (1.33 s wall) after the first failure" in markdown
    assert "held 1m (1.00 s wall) in pending" in markdown
    assert "called by auto-reporter at 3m32s" in markdown and "HTTP 200" in markdown
    assert "| first failed order | 2m10s | +10s |" in markdown
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
    starts, _, failed = binned(facts)
    assert binned_log_errors(facts, len(starts)) == [0] * 8 + [1] * 6 + [0] * 4
    assert failed == [0] * 8 + [1] * 6 + [0] * 4


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

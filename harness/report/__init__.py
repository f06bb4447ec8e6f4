"""The post-mortem of a run: `postmortem.md`, a self-contained `postmortem.html` and two charts.

Written into every run folder by `harness run` and rebuilt by `harness report RUN_DIR`, both from
the timeline alone (`write_postmortem`, `rebuild`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.errors import UsageError
from harness.report.advice import action_items, prevention
from harness.report.banner import banner
from harness.report.charts import draw
from harness.report.document import to_html, to_markdown
from harness.report.facts import gather
from harness.report.sections import build
from harness.results import write_outputs
from harness.timeline import read_timeline

MARKDOWN, HTML = "postmortem.md", "postmortem.html"


def write_postmortem(run_dir: Path, events: list[Any]) -> list[Path]:
    """Draw both charts and write the post-mortem in Markdown and HTML; returns the paths."""
    facts = gather(events)
    charts = draw(facts, run_dir)
    blocks = build(facts) + prevention(facts) + action_items(facts)
    blocks.insert(1, banner(facts))  # the verdict, under the title
    (run_dir / MARKDOWN).write_text(to_markdown(blocks), encoding="utf-8")
    title = f"Post-mortem: {facts.scenario}"
    (run_dir / HTML).write_text(to_html(blocks, title, run_dir), encoding="utf-8")
    return [run_dir / MARKDOWN, run_dir / HTML, *charts]


def rebuild(run_dir: Path) -> list[Path]:
    """Every output of a run (summary.json, junit.xml, the post-mortem) from its timeline."""
    if not run_dir.is_dir():
        raise UsageError(f"{run_dir}: no such run folder", fix="give a run folder under reports/")
    timeline = run_dir / "timeline.jsonl"
    if not timeline.is_file():
        raise UsageError(f"{timeline}: no timeline to report from", fix="give a harness run folder")
    events = read_timeline(timeline)
    write_outputs(run_dir, events)
    return [run_dir / "summary.json", run_dir / "junit.xml", *write_postmortem(run_dir, events)]

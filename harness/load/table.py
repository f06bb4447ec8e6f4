"""The capacity table of a load test: plain aligned text for the terminal, Markdown for
`capacity.md`, and the same figures as JSON for `capacity.json`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.load.measure import ms
from harness.load.ramp import ConfigResult

SUMMARY_HEAD = (
    "configuration",
    "fault",
    "capacity (ok orders/s)",
    "at diners",
    "breaking point",
    "why",
)
STEP_HEAD = ("configuration", "step", "diners", "ok orders/s", "p95", "errors", "orders", "")
RIGHT = {
    "capacity (ok orders/s)",
    "at diners",
    "step",
    "diners",
    "ok orders/s",
    "p95",
    "errors",
    "orders",
}


def summary_rows(results: Sequence[ConfigResult]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for r in results:
        best, broke = r.best, r.breaking
        if broke is not None:
            point, why = f"{broke.diners} diners (step {broke.index + 1})", broke.broken
        elif r.status == "held":
            point, why = "not reached", f"held up to {r.steps[-1].diners} diners"
        else:
            point, why = "-", f"{r.status}: {r.detail}" if r.detail else r.status
        rows.append(
            (
                r.name,
                r.fault_text(),
                f"{r.capacity:,.1f}" if best else "none held",
                str(best.diners) if best else "-",
                point,
                why,
            )
        )
    return rows


def step_rows(results: Sequence[ConfigResult]) -> list[tuple[str, ...]]:
    return [
        (
            r.name,
            str(s.index + 1),
            str(s.diners),
            f"{s.good_per_s:,.1f}",
            ms(s.p95_s),
            f"{s.error_ratio:.1%}",
            str(s.orders),
            "held" if s.held else "BROKE",
        )
        for r in results
        for s in r.steps
    ]


def aligned(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(line[i]) for line in [head, *rows]) for i in range(len(head))]

    def fmt(line: Sequence[str]) -> str:
        cells = [
            c.rjust(w) if head[i] in RIGHT else c.ljust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "-" * max(len(fmt(head)), *(len(fmt(r)) for r in rows)) if rows else ""
    return "\n".join([rule, fmt(head), rule, *map(fmt, rows), rule])


def markdown(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    marks = ["---:" if h in RIGHT else "---" for h in head]
    lines = [head, marks, *rows]
    return "\n".join(
        "| " + " | ".join(c.replace("|", "\\|") for c in line) + " |" for line in lines
    )


def text_report(results: Sequence[ConfigResult], verdict: str) -> str:
    return "\n".join(
        [
            aligned(SUMMARY_HEAD, summary_rows(results)),
            verdict,
            "",
            "per step (ok orders/s and p95 over each step after its warm-up):",
            aligned(STEP_HEAD, step_rows(results)),
        ]
    )


def markdown_report(
    title: str,
    setup: str,
    results: Sequence[ConfigResult],
    verdict: str,
    limits: Sequence[str] = (),
) -> str:
    return "\n".join(
        [
            f"# {title}",
            "",
            setup,
            "",
            "## Capacity",
            "",
            markdown(SUMMARY_HEAD, summary_rows(results)),
            "",
            verdict,
            "",
            "## What limited the run",
            "",
            *(f"- {line}" for line in limits),
            "",
            "## Steps",
            "",
            markdown(STEP_HEAD, step_rows(results)),
            "",
            "Each configuration's Locust report: `<configuration>/locust.html`; its diners' "
            "order attempts: `<configuration>/orders.jsonl`.",
            "",
        ]
    )


def write_json(path: Path, meta: dict[str, Any], results: Sequence[ConfigResult]) -> None:
    data = {**meta, "configurations": [r.to_json() for r in results]}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

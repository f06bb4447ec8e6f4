"""The end of a traffic run: check the accounting against the events file, write the final
summary and say what happened. This module does not import locust."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ExitCode
from harness.traffic.cluster import worker_log_path
from harness.traffic.config import STOP_SIGNAL, TrafficConfig
from harness.traffic.events import OUTCOMES, count_outcomes, read_events
from harness.traffic.ledger import accounting_problems, write_json_atomic


@dataclass
class Ending:
    """How the Locust processes ended, as the supervisor saw it."""

    rc: int
    offset: int  # where this run's lines begin in the events file
    stop_reason: str | None
    escalations: list[str]
    workers: list[subprocess.Popen[bytes]]
    processes: int


def close_run(config: TrafficConfig, end: Ending) -> int:
    """Write the final summary (with `accounting_error` when something does not add up) and
    return the traffic process's exit code."""
    cfg, rc = config, end.rc
    events = read_events(cfg.events_path, end.offset)
    partial = _ends_in_partial_line(cfg.events_path)
    child = _load_json(cfg.summary_path)
    problems: list[str] = []
    if child is None:
        summary: dict[str, Any] = {
            "attempts": len(events),
            "outcomes": count_outcomes(events),
            "locust": None,
        }
        asked_to_stop = end.stop_reason is not None
        if events or not asked_to_stop or rc not in (0, -STOP_SIGNAL):
            problems.append(
                f"Locust exited with code {rc} without writing its summary (log: {cfg.log_path})"
            )
    else:
        summary = child
        summary.pop("accounting_error", None)  # checked again below, against the file
        problems += accounting_problems(summary, events)
    if partial:
        problems.append("the events file ends in a partial line")
    if "SIGKILL" in end.escalations:
        problems.append("Locust did not stop in time and was killed: attempts may be lost")
    elif child is not None and rc != 0:
        problems.append(f"Locust exited with code {rc} (log: {cfg.log_path})")
    for number, proc in enumerate(end.workers, 1):
        if proc.returncode != 0:
            problems.append(
                f"the Locust worker process pid {proc.pid} exited with code "
                f"{proc.returncode} (log: {worker_log_path(cfg, number)})"
            )
    summary.update(
        event_lines=len(events),
        events_offset=end.offset,
        locust_exit_code=rc,
        stop_requested_by=end.stop_reason,
        processes=end.processes,
        worker_exit_codes=[proc.returncode for proc in end.workers],
        reports={
            "html": str(cfg.html_path),
            "json": str(cfg.json_report_path),
            "csv_prefix": str(cfg.locust_prefix),
            "log": str(cfg.log_path),
        },
    )
    if problems:
        summary["accounting_error"] = "; ".join(problems)
    write_json_atomic(cfg.summary_path, summary)
    report(cfg, summary)
    return ExitCode.HARNESS_ERROR if problems else ExitCode.OK


def report(config: TrafficConfig, summary: dict[str, Any]) -> None:
    outcomes = summary.get("outcomes") or {}
    counts = ", ".join(f"{k} {outcomes.get(k, 0)}" for k in OUTCOMES)
    print(
        f"traffic: {summary['attempts']} order attempts: {counts} (summary {config.summary_path})",
        flush=True,
    )
    if "accounting_error" in summary:
        print(f"traffic: ACCOUNTING ERROR: {summary['accounting_error']}", file=sys.stderr)
        tail = _tail(config.log_path)
        if tail:
            print(f"traffic: last lines of {config.log_path}:\n{tail}", file=sys.stderr)


def _ends_in_partial_line(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            if handle.tell() == 0:
                return False
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) != b"\n"
    except FileNotFoundError:
        return False


def _load_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""

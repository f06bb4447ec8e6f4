"""What a run leaves besides its timeline: `summary.json`, `junit.xml`, and the one-screen summary
printed at the end. Every figure is given in scenario time and in wall time."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from harness.durations import format_duration, signed_duration
from harness.timeline import (
    Accounting,
    Acknowledged,
    Alert,
    ChaosArmed,
    ChaosEnded,
    ChaosStarted,
    Check,
    Notified,
    Order,
    Recovered,
    ReportCalled,
    RunEnded,
    RunStarted,
)
from harness.verdict import FAILED_OUTCOMES, first

MILESTONES: list[tuple[str, type, dict[str, Any]]] = [
    ("chaos armed", ChaosArmed, {}),
    ("chaos started (first order affected)", ChaosStarted, {}),
    ("alert pending", Alert, {"state_to": "pending"}),
    ("alert firing", Alert, {"state_to": "firing"}),
    ("on-call notified", Notified, {"status": "firing"}),
    ("acknowledged", Acknowledged, {}),
    ("report URL called", ReportCalled, {}),
    ("chaos ended at the factory", ChaosEnded, {"how": "resolved"}),
    ("recovery confirmed", Recovered, {}),
]


def milestones(events: list[Any]) -> list[dict[str, Any]]:
    start = first(events, RunStarted)
    chaos = first(events, ChaosStarted)
    failed = next(
        (e for e in events if isinstance(e, Order) and e.outcome in FAILED_OUTCOMES), None
    )
    found = [(label, first(events, kind, **match)) for label, kind, match in MILESTONES]
    found.insert(2, ("first failed order", failed))
    rows = []
    for label, event in found:
        if event is None:
            rows.append({"milestone": label, "reached": False})
            continue
        rows.append(
            {
                "milestone": label,
                "reached": True,
                "scenario_s": round(event.st, 3),
                "since_chaos_s": None if chaos is None else round(event.st - chaos.st, 3),
                "wall_s": round(event.t - (start.t if start else event.t), 3),
            }
        )
    return rows


def order_counts(events: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for event in events:
        if isinstance(event, Order):
            counts[event.outcome] = counts.get(event.outcome, 0) + 1
    return counts


def summary(events: list[Any], run_dir: Path) -> dict[str, Any]:
    started, ended = first(events, RunStarted), first(events, RunEnded)
    accounting = first(events, Accounting)
    orders = order_counts(events)
    return {
        "scenario": started.scenario if started else None,
        "time_scale": started.time_scale if started else None,
        "run_dir": str(run_dir),
        "status": ended.status if ended else "incomplete",
        "exit_code": ended.exit_code if ended else None,
        "reason": ended.reason if ended else "",
        "milestones": milestones(events),
        "orders": orders,
        "failed_orders": sum(orders.get(o, 0) for o in FAILED_OUTCOMES),
        "accounting": accounting.model_dump() if accounting else None,
        "checks": [c.model_dump() for c in events if isinstance(c, Check)],
    }


def write_junit(path: Path, data: dict[str, Any]) -> None:
    checks = data["checks"]
    suite = ET.Element(
        "testsuite",
        name=f"harness.{data['scenario']}",
        tests=str(len(checks)),
        failures=str(sum(not c["passed"] for c in checks)),
    )
    for check in checks:
        case = ET.SubElement(
            suite, "testcase", classname=f"harness.{data['scenario']}", name=check["name"]
        )
        if not check["passed"]:
            ET.SubElement(case, "failure", message=check["detail"]).text = check["detail"]
    if data["status"] in ("error", "interrupted"):
        case = ET.SubElement(suite, "testcase", classname=f"harness.{data['scenario']}", name="run")
        ET.SubElement(case, "error", message=data["reason"]).text = data["reason"]
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def write_outputs(run_dir: Path, events: list[Any]) -> dict[str, Any]:
    data = summary(events, run_dir)
    (run_dir / "summary.json").write_text(json.dumps(data, indent=2) + "\n")
    write_junit(run_dir / "junit.xml", data)
    return data


def render(data: dict[str, Any]) -> str:
    """The one-screen summary."""
    lines = [
        f"Scenario {data['scenario']} (time scale {data['time_scale']}x): "
        f"{data['status'].upper()}, exit {data['exit_code']}"
    ]
    if data["reason"]:
        lines.append(f"  {data['reason']}")
    lines.append(f"  {'milestone':<38} {'scenario':>9} {'after chaos':>12} {'wall':>8}")
    reached = sorted((r for r in data["milestones"] if r["reached"]), key=lambda r: r["scenario_s"])
    for row in reached + [r for r in data["milestones"] if not r["reached"]]:  # in time order
        if not row["reached"]:
            lines.append(f"  {row['milestone']:<38} {'-':>9} {'-':>12} {'-':>8}")
            continue
        since = row["since_chaos_s"]
        after = "-" if since is None else signed_duration(since)
        lines.append(
            f"  {row['milestone']:<38} {format_duration(row['scenario_s']):>9} "
            f"{after:>12} {row['wall_s']:>7.2f}s"
        )
    orders = ", ".join(f"{k} {v}" for k, v in sorted(data["orders"].items())) or "none"
    lines.append(f"  orders: {orders}; failed orders: {data['failed_orders']}")
    for check in data["checks"]:
        mark = "PASS" if check["passed"] else "FAIL"
        lines.append(f"  {mark} {check['name']:<24} {check['detail']}")
    lines.append(f"  run folder: {data['run_dir']}")
    if data.get("postmortem"):  # last, where a reader's eye lands: what to open next
        lines.append(f"  post-mortem: {data['postmortem']}")
    return "\n".join(lines)

"""`harness grafana check FILE`: a Grafana alert-rule export as the harness understood it, one
rule at a time, or exit 2 naming the file, the rule, the refId and what to do."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

from harness.alerting.grafana.load import DEFAULT_INTERVAL_S, GrafanaRules, load_grafana_document
from harness.alerting.grafana.rule import GrafanaRule, describe
from harness.durations import format_duration
from harness.errors import ExitCode


def register(commands: argparse._SubParsersAction, servers: argparse._SubParsersAction) -> None:
    grafana = commands.add_parser("grafana", help="Grafana-managed alert rules")
    actions = grafana.add_subparsers(dest="grafana_command", required=True)
    check = actions.add_parser(
        "check",
        help="print a Grafana alert-rule export as the harness will judge it",
        description="Print each rule of a Grafana alert-rule export (YAML or JSON) as the "
        "harness understood it: exit 0, or 2 naming the rule and refId it cannot judge.",
    )
    check.add_argument("file", type=Path, help="a Grafana export (Alert rules > Export)")
    check.set_defaults(run=_check)


def _check(args: argparse.Namespace) -> int:
    from harness.alerting.rulefile import read_rule_document

    doc = read_rule_document(args.file)
    loaded = load_grafana_document(doc, str(args.file))
    one_rule = isinstance(doc, Mapping) and "title" in doc
    for line in check_lines(loaded, one_rule=one_rule):
        print(line)
    return ExitCode.OK


def check_lines(loaded: GrafanaRules, *, one_rule: bool = False) -> list[str]:
    """The export as it will be judged: every rule, then the notification policy."""
    count = len(loaded.rules)
    lines = [f"{loaded.where}: ok, {count} rule{'s' if count != 1 else ''} the harness can judge"]
    for r in loaded.rules:
        lines += ["", *rule_lines(r, one_rule=one_rule)]
    p = loaded.policy
    source = "the export's root policy" if p.from_export else "Grafana's default policy"
    lines += [
        "",
        f"notifications ({source}): group by {', '.join(p.group_by) or 'nothing'}, "
        f"wait {_d(p.group_wait_s)}, interval {_d(p.group_interval_s)}, "
        f"repeat {_d(p.repeat_interval_s)}",
    ]
    return lines


def rule_lines(r: GrafanaRule, *, one_rule: bool = False) -> list[str]:
    interval = f"every {_d(r.interval_s)}"
    if one_rule and r.interval_s == DEFAULT_INTERVAL_S:
        interval += " (Grafana's default: one rule's JSON names no group interval)"
    lines = [
        f"{r.title}{'  [paused: not evaluated]' if r.paused else ''}",
        f"  folder {r.folder or '-'}, group {r.group or '-'}, {interval}",
    ]
    lines += [f"  {describe(s, r.condition)}" for s in r.steps]
    lines += [
        f"  condition {r.condition}; pending period (for) {_d(r.for_s)}, "
        f"keep firing for {_d(r.keep_firing_for_s)}",
        f"  no data -> {r.no_data_state}, error -> {r.exec_err_state}; an instance missing "
        f"{r.missing_series_evals} evaluations is resolved",
    ]
    if r.labels:
        lines.append("  labels: " + ", ".join(f"{k}={v.text}" for k, v in r.labels.items()))
    if r.routing is not None:
        lines.append(f"  contact point {r.routing.receiver} (the rule's own)")
    return lines


def _d(seconds: float) -> str:
    return format_duration(seconds) if seconds else "0s"

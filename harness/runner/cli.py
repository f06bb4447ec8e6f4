"""`harness run SCENARIO` and `harness validate SCENARIO`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from harness.errors import ExitCode


def register(commands: argparse._SubParsersAction, servers: argparse._SubParsersAction) -> None:
    run = commands.add_parser(
        "run",
        help="run a scenario (or a suite of them) end to end and judge it",
        description="Replay a factory incident: exit 0 if every "
        "expectation was met, 1 if one failed, 2 bad scenario, "
        "3 harness error, 4 interrupted. Several files or a folder run as a suite: "
        "concurrently, one table, one junit.xml, the worst exit code.",
    )
    run.add_argument(
        "scenario",
        nargs="+",
        help="a scenario file, a shipped scenario's name (seed-incident), or a folder of them",
    )
    run.add_argument(
        "--jobs",
        type=processes_arg,
        default=None,
        metavar="N",
        help="a suite's runs at once (default: all of them, up to 5 a core; a run mostly "
        "waits on its scenario clock)",
    )
    run.add_argument(
        "--time-scale",
        type=_scale,
        default=None,
        metavar="N|auto",
        help="run N times faster than real time (overrides the file's time_scale); auto: as "
        "fast as your service's telemetry and rules allow (the default with --service-url)",
    )
    run.add_argument(
        "--alerting",
        choices=["builtin", "prometheus", "external"],
        default=None,
        help="alerting backend: the built-in evaluator, a real Prometheus + Alertmanager, "
        "or your own (webhooks to the inbox; the file's rules are then dropped); overrides "
        "the file's alerting.backend",
    )
    run.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        help="where the run folder goes (default reports/)",
    )
    add_service_options(run)
    run.add_argument(
        "--processes",
        type=processes_arg,
        default=None,
        metavar="N",
        help="run the diners in a Locust master and N worker processes on 127.0.0.1 "
        "(default: the scenario's traffic.processes, 1)",
    )
    run.add_argument(
        "--rules",
        type=Path,
        default=None,
        metavar="FILE",
        help="your rule file instead of the scenario's alerting.rules: Prometheus's format "
        "(groups: [{name, rules}]) or a Grafana alert-rule export (YAML or JSON)",
    )
    run.set_defaults(run=_run)
    validate = commands.add_parser("validate", help="check scenario files without running them")
    validate.add_argument("scenarios", type=Path, nargs="+", help="scenario files")
    validate.set_defaults(run=_validate)


# Flag -> scenario field (service.*): a team's own service instead of the reference one.
SERVICE_FLAGS = {
    "service_url": ("--service-url", "URL", "drive your running service (service.url)"),
    "factory_port": ("--factory-port", "PORT", "our factory's port: your factory.url's"),
    "vendor_key": ("--vendor-key", "KEY", "the factory.apiKey your service already has"),
    "metrics": ("--metrics", "{scrape,push}", "GET URL/metrics, or your service pushes them"),
    "telemetry_port": ("--telemetry-port", "PORT", "where your service pushes OTLP/Loki"),
    "command": ("--service-cmd", "CMD", "start your service with CMD (sh -c; service.command)"),
    "admin": ("--service-admin", "EMAIL:PASSWORD", "an admin, to add a menu item if empty"),
}


def add_service_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("your own service (overrides the scenario's service:)")
    for dest, (flag, metavar, text) in SERVICE_FLAGS.items():
        choices = ["scrape", "push"] if dest == "metrics" else None
        group.add_argument(flag, dest=dest, metavar=metavar, help=text, choices=choices)


def service_overrides(args: argparse.Namespace) -> dict[str, str]:
    """`service__url=...` overrides from the flags given (validated with the scenario)."""
    fields = {"service_url": "url"}
    return {
        f"service__{fields.get(dest, dest)}": getattr(args, dest)
        for dest in SERVICE_FLAGS
        if getattr(args, dest) is not None
    }


def _run(args: argparse.Namespace) -> int:
    from harness.runner import run_scenario
    from harness.scenario_files import find_scenarios

    paths = find_scenarios(args.scenario)
    if len(paths) > 1 or Path(args.scenario[0]).is_dir():
        return _suite(args, paths)
    return run_scenario(
        paths[0],
        time_scale=args.time_scale,
        report_dir=args.report_dir,
        overrides=service_overrides(args) | run_overrides(args),
    )


def _suite(args: argparse.Namespace, paths: list[Path]) -> int:
    from harness.suite import run_suite, suite_usage

    suite_usage([SERVICE_FLAGS[d][0] for d in SERVICE_FLAGS if getattr(args, d) is not None])
    forward = []
    for flag, value in (
        ("--time-scale", args.time_scale),
        ("--alerting", args.alerting),
        ("--processes", args.processes),
        ("--rules", args.rules),
    ):
        if value is not None:
            forward += [flag, str(value)]
    return run_suite(paths, args.report_dir, forward, args.jobs)


def run_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """--processes, --alerting and --rules, as scenario fields."""
    given = {"traffic__processes": args.processes, "alerting__backend": args.alerting}
    if args.rules is not None:
        from harness.alerting.rulefile import rules_overrides

        given |= rules_overrides(args.rules)
    if args.alerting == "external":  # your alerting evaluates: the file's rules are not ours
        given["alerting__rules"] = []
    return {field: value for field, value in given.items() if value is not None}


def _scale(text: str) -> float | str:
    if text == "auto":
        return text
    try:
        scale = float(text)
    except ValueError:
        scale = 0.0
    if not 0 < scale <= 600:
        raise argparse.ArgumentTypeError(f"{text!r} is not auto or a number above 0 up to 600")
    return scale


def processes_arg(text: str) -> int:
    """A whole number of processes from 1 to 64 (`--processes`, `--jobs`)."""
    if not text.isdigit() or not 1 <= int(text) <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1 to 64")
    return int(text)


def _rules_text(alerting: Any) -> str:
    if alerting.grafana_rules is not None:
        return f"Grafana rules {Path(alerting.grafana_rules).name}"
    return f"{len(alerting.rules)} alert rules"


def _validate(args: argparse.Namespace) -> int:
    from harness.scenario import ScenarioError, load_scenario
    from harness.scenario_checks import long_run_warning

    bad = []
    for path in args.scenarios:  # every file, so one command lists every problem
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            print(f"harness: error: {exc}", file=sys.stderr)
            bad.append(path)
            continue
        chaos = "; ".join(f.describe() for f in scenario.chaos)
        print(
            f"{path}: ok ({scenario.name}, chaos {chaos}, "
            f"{_rules_text(scenario.alerting)}, time scale {scenario.time_scale}x)"
        )
        warning = long_run_warning(scenario)
        if warning:
            print(f"  {warning}")
    return ExitCode.USAGE_ERROR if bad else ExitCode.OK

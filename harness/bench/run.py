"""The bench's command line: start the servers, run every measure once per round (interleaved),
print the table, write the JSON. Exit code 0 even when a target is missed: it is a measurement."""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

import httpx

from harness.bench import targets as t
from harness.bench import wrk
from harness.bench.diners import load_measure
from harness.bench.load import Sample
from harness.bench.report import Row, missed, table
from harness.bench.scale import ScaleRun, legend, run_scale, scale_rows
from harness.bench.suite import SuiteTimes, measure_suite
from harness.errors import ExitCode, HarnessError
from harness.procs import ProcessGroup

GROUPS = ("factory", "service", "scale", "suite")
TRANSPORTS = ("aiohttp", "httpx")
LEGEND = (
    "bench = this process (the signer, or the load generator); others = the rest of the machine."
)
SERVICE_LEGEND = (
    "Service: one process, SQLite file (WAL), --quiet-logs, the 2-worker factory behind."
)
LOAD_LEGEND = (
    "harness load: the healthy capacity of a ramp of 32 then 64 Locust diners (steps of "
    "--seconds, no think time), fresh servers each round; target: within 20 % of the service row."
)
# id, label, unit, target (median at least), (numerator, denominator) for a ratio row
LAYOUT: list[tuple[str, str, str, float | None, tuple[str, str] | None]] = [
    ("sign", "raw RS256 signing (bench process)", "signs/s", None, None),
    ("factory_1w", "factory orders, 1 worker", "orders/s", None, None),
    ("ratio_1w_sign", "  1 worker / raw signing", "ratio", 0.80, ("factory_1w", "sign")),
    ("factory_2w", "factory orders, 2 workers", "orders/s", None, None),
    ("ratio_2w_1w", "  2 workers / 1 worker", "ratio", 1.5, ("factory_2w", "factory_1w")),
    ("jwks_1w", "factory GET jwks.json, 1 worker", "req/s", None, None),
    ("service_aiohttp", "service orders, aiohttp (factory 2w)", "orders/s", 300, None),
    ("service_httpx", "service orders, httpx (factory 2w)", "orders/s", None, None),
    ("ratio_transport", "  aiohttp / httpx", "ratio", None, ("service_aiohttp", "service_httpx")),
    ("load_healthy", "harness load, healthy (Locust diners)", "orders/s", None, None),
    (
        "ratio_load",
        "  harness load / service aiohttp",
        "ratio",
        0.8,
        ("load_healthy", "service_aiohttp"),
    ),
]


def progress(text: str) -> None:
    print(f"bench: {text}", file=sys.stderr, flush=True)


def setup(
    group: ProcessGroup, work: Path, logs: Path, args: argparse.Namespace, skipped: list[str]
) -> list[t.Measure]:
    for old in logs.glob("*.log"):
        old.unlink()  # ManagedProcess appends: keep only this run's logs
    measures: list[t.Measure] = []
    if not {"factory", "service"} & set(args.only):
        return measures  # the scale and suite rows start their own servers
    two = t.start_factory(group, work, logs, 2)
    if "factory" in args.only:
        one = t.start_factory(group, work, logs, 1)
        measures += [t.sign_measure(work / "factory-1w" / "factory-key.pem")]
        gen = args.load_generator
        measures += [t.factory_orders(one, "factory_1w", gen)]
        measures += [t.factory_orders(two, "factory_2w", gen), t.factory_jwks(one, gen)]
    if "service" in args.only:
        try:
            for transport in TRANSPORTS:
                service = t.start_service(group, work, logs, two, transport)
                measures.append(t.service_orders(service, two, transport, args.diners))
            measures.append(load_measure(work))
        except (HarnessError, OSError, httpx.HTTPError, KeyError) as exc:  # say it, go on
            skipped.append(f"SERVICE ROWS SKIPPED: the service did not run: {exc}")
            progress(skipped[-1])
            measures = [m for m in measures if not m.id.startswith("service")]
    return measures


def interleave(measures: list[t.Measure], runs: int, seconds: float) -> dict[str, list[Sample]]:
    """Round r runs every measure once (A, B, C, A, B, C, ...) so drift hits all of them alike."""
    if not measures:
        return {}
    progress(f"warm-up round, not counted: {', '.join(m.id for m in measures)}")
    for m in measures:  # connections, caches, pools
        m.run(min(1.0, seconds))
    samples: dict[str, list[Sample]] = {m.id: [] for m in measures}
    for r in range(1, runs + 1):
        for m in measures:
            sample = m.run(seconds)
            samples[m.id].append(sample)
            not_ok = sum(sample.errors.values())
            progress(f"round {r}/{runs} {m.id:<17} {sample.rate:9,.0f}/s  not ok {not_ok}")
    return samples


def build_rows(samples: dict[str, list[Sample]]) -> list[Row]:
    """The rows of LAYOUT whose samples were taken; a ratio row once both of its rows exist."""
    rows: dict[str, Row] = {}
    for id, label, unit, target, of in LAYOUT:
        if of is None and id in samples:
            rows[id] = Row.of(id, label, unit, samples[id], target=target)
        elif of is not None and of[0] in rows and of[1] in rows:
            rows[id] = Row.ratio(id, label, rows[of[0]], rows[of[1]], target=target)
    return list(rows.values())


def write_json(
    path: Path,
    rows: list[Row],
    args: argparse.Namespace,
    skipped: list[str],
    suite: SuiteTimes | None = None,
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {
        "runs": args.runs,
        "seconds": args.seconds,
        "in_flight": 64,
        "diners": args.diners,
        "factory_load_generator": args.load_generator,
    }
    meta |= {"cpus": os.cpu_count(), "python": platform.python_version(), "at": time.time()}
    data = {
        "meta": meta,
        "rows": [r.to_json() for r in rows],
        "missed": missed(rows),
        "skipped": skipped,
        "suite": suite.to_json() if suite else None,
    }
    path.write_text(json.dumps(data, indent=2) + "\n")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m harness.bench", description=__doc__)
    p.add_argument("--runs", type=int, default=5, help="measured rounds (default 5)")
    p.add_argument("--seconds", type=float, default=3.0, help="window of one run (default 3)")
    p.add_argument("--only", choices=GROUPS, action="append", help="rows to run (default all)")
    p.add_argument("--diners", type=int, default=64, help="diners registered per service")
    p.add_argument("--json", type=Path, default=Path("reports/bench.json"), help="JSON output")
    p.add_argument(
        "--load-generator",
        choices=("auto", "wrk", "aiohttp"),
        default="auto",
        help="for the factory rows; auto: wrk when installed (default)",
    )
    args = p.parse_args(argv)
    if args.load_generator == "auto":
        args.load_generator = "wrk" if wrk.available() else "aiohttp"
    if args.load_generator == "wrk" and not wrk.available():
        p.error("--load-generator wrk: wrk is not installed (apt-get install wrk, or make bench)")
    if args.runs < 1 or not 0 < args.seconds <= 60:
        p.error("--runs must be >= 1 and --seconds in (0, 60]")
    args.only = args.only or list(GROUPS)
    return args


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM: unwind like Ctrl-C, so every child is stopped


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    signal.signal(signal.SIGTERM, _terminate)
    skipped: list[str] = []
    scale: ScaleRun | None = None
    suite: SuiteTimes | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp, ProcessGroup() as group:
            progress(f"starting servers ({', '.join(args.only)})")
            logs = args.json.parent / "bench-logs"
            measures = setup(group, Path(tmp), logs, args, skipped)
            samples = interleave(measures, args.runs, args.seconds) if measures else {}
            if "scale" in args.only:
                service = samples.get("service_aiohttp")
                capacity = statistics.median(s.rate for s in service) if service else None
                progress(f"scale: 2,500 to 10,000 thinking diners (3 min) in {logs / 'scale'}")
                scale = run_scale(logs / "scale", capacity)
            group.stop()  # the suite's runs start their own servers
            suite = measure_suite(Path(tmp), progress) if "suite" in args.only else None
    except HarnessError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("bench: interrupted; every server stopped", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    rows = build_rows(samples) + (scale_rows(scale) if scale is not None else [])
    title = f"harness bench: median of {args.runs} runs x {args.seconds:g} s, 64 in flight"
    print(table(rows, title))
    print(LEGEND)
    if "factory_1w" in samples:
        print(f"Factory rows loaded by {args.load_generator} (1 thread, 64 connections).")
    if "service_aiohttp" in samples:
        print(SERVICE_LEGEND)
    if "load_healthy" in samples:
        print(LOAD_LEGEND)
    if scale is not None:
        print(legend(scale))
    for line in [*missed(rows), *skipped, *(suite.lines() if suite else [])]:
        print(line)
    write_json(args.json, rows, args, skipped, suite)
    return int(ExitCode.OK)

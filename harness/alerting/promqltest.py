"""Measure the built-in evaluator against Prometheus's own PromQL test scripts.

    python -m harness.alerting.promqltest DIR_OR_FILE... [-v]

reads promqltest scripts (prometheus/prometheus `promql/promqltest/testdata/*.test`; fetch them
yourself, they are not part of this repository) and runs every `eval` through `evaluate`: an
instant eval at its time, a range eval at each step. Per file it prints the cases, those on
native histograms (skipped: the store holds floats only), those whose expression the evaluator
refuses or whose result is a string or a range vector (unsupported), and of the rest how many
pass. A case passes when the result matches as promqltest checks it: same label sets, values
equal within a relative 1e-6 (NaN equals NaN), order where `expect ordered`, the error where
`expect fail` (a `msg:` must begin our message: ours may add detail after Prometheus's text).
Not checked: warn/info annotations (the evaluator has none), and promqltest's extra runs of each
instant eval with `@` added and in range mode (checks of Prometheus's own engine).
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import promql_parser as pp

from harness.alerting import promqltest_format as fmt
from harness.alerting.promql import EvalError, evaluate
from harness.alerting.syntax import NATIVE_ONLY, compile_expr
from harness.alerting.tsdb import TSDB, Labels, Matcher, make_labels
from harness.errors import ConfigError

EPSILON = 1e-6  # promqltest's defaultEpsilon
MIN_NORMAL = 2.2250738585072014e-308


@dataclass(frozen=True)
class Outcome:
    kind: str  # native | unsupported | pass | fail
    why: str = ""


@dataclass
class Tally:
    cases: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    notes: list[tuple[int, str, Outcome]] = field(default_factory=list)

    def add(self, case: fmt.Eval, outcome: Outcome) -> None:
        self.cases += 1
        self.kinds[outcome.kind] += 1
        self.notes.append((case.line, case.expr, outcome))


class Runner:
    """One script's state: the store and the label sets of native-histogram series."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.db = TSDB(retention_s=1e12)
        self.histograms: list[dict[str, str]] = []

    def load(self, cmd: fmt.Load) -> None:
        latest = {tuple(sorted(s.labels.items())): s for s in cmd.series}  # the last one wins
        for s in latest.values():
            if s.histogram:
                self.histograms.append(s.labels)
                continue
            if cmd.nhcb:
                self.histograms.append(_nhcb_labels(s.labels))
            name = s.labels.get("__name__", "")
            labels = {k: v for k, v in s.labels.items() if k != "__name__"}
            for t, v in fmt.samples(s, cmd.step_s):
                if v is None:
                    self.db.ingest_stale(name, labels, t)
                else:
                    self.db.ingest(name, labels, v, t)

    def run(self, case: fmt.Eval) -> Outcome:
        if self.is_native(case):
            return Outcome("native")
        try:
            tree = compile_expr(case.expr)
        except ConfigError as exc:
            return Outcome("unsupported", exc.message)
        if case.other_result:
            return Outcome("unsupported", f"a {case.other_result} result")
        results = []
        for t in case.times():
            try:
                results.append(evaluate(tree, self.db, t, case.start_s, case.end_s))
            except EvalError as exc:
                return _failed(case, str(exc))
            except Exception as exc:  # a crash is a defect to report, not a reason to stop
                return Outcome("fail", f"crash: {type(exc).__name__}: {exc}")
        if case.fail:
            return Outcome("fail", "expected an error, got a result")
        return check(case, results)

    def is_native(self, case: fmt.Eval) -> bool:
        if any(s.histogram for s in case.series):
            return True
        try:
            tree = pp.parse(case.expr)
        except ValueError:
            return False
        for node in _walk(tree):
            if isinstance(node, pp.Call) and node.func.name in NATIVE_ONLY:
                return True
            if isinstance(node, pp.VectorSelector) and self._touches_histogram(node):
                return True
        return False

    def _touches_histogram(self, vs: Any) -> bool:
        try:
            matchers = [
                Matcher.make(m.name, _OPS[str(m.op)], m.value) for m in vs.matchers.matchers
            ]
        except Exception:
            return False
        if vs.name:
            matchers.append(Matcher.make("__name__", "=", vs.name))
        return any(all(m.matches(h.get(m.name, "")) for m in matchers) for h in self.histograms)


_OPS = {"MatchOp.Equal": "=", "MatchOp.NotEqual": "!=", "MatchOp.Re": "=~", "MatchOp.NotRe": "!~"}


def _nhcb_labels(labels: dict[str, str]) -> dict[str, str]:
    name = re.sub(r"_(bucket|count|sum)$", "", labels.get("__name__", ""))
    return {**{k: v for k, v in labels.items() if k != "le"}, "__name__": name}


def _walk(node: Any) -> Iterator[Any]:
    yield node
    if isinstance(node, pp.MatrixSelector):
        yield from _walk(node.vector_selector)
        return
    for attr in ("expr", "lhs", "rhs", "param"):
        child = getattr(node, attr, None)
        if isinstance(child, pp.Expr):
            yield from _walk(child)
    for arg in getattr(node, "args", None) or []:
        yield from _walk(arg)


def _failed(case: fmt.Eval, message: str) -> Outcome:
    if not case.fail:
        return Outcome("fail", f"error: {message}")
    if case.fail_msg is not None and not message.startswith(case.fail_msg):
        return Outcome("fail", f"error {message!r}, expected {case.fail_msg!r}")
    if case.fail_regex is not None and not re.search(case.fail_regex, message):
        return Outcome("fail", f"error {message!r} does not match {case.fail_regex!r}")
    return Outcome("pass")


def almost_equal(a: float, b: float) -> bool:
    """Prometheus's util/almost.Equal with promqltest's epsilon; NaN equals NaN."""
    if (math.isnan(a) and math.isnan(b)) or a == b:
        return True
    abs_sum, diff = abs(a) + abs(b), abs(a - b)
    if a == 0 or b == 0 or abs_sum < MIN_NORMAL:
        return diff < EPSILON * MIN_NORMAL
    return diff / min(abs_sum, sys.float_info.max) < EPSILON


def check(case: fmt.Eval, results: Sequence[Any]) -> Outcome:
    if case.is_range:
        return _check_range(case, results)
    (result,) = results
    if case.scalar is not None:
        if not isinstance(result, float):
            return Outcome("fail", f"expected scalar {case.scalar}, got a vector")
        ok = almost_equal(case.scalar, result)
        return Outcome("pass") if ok else Outcome("fail", f"expected {case.scalar}, got {result}")
    if isinstance(result, float):
        return Outcome("fail", f"expected a vector, got scalar {result}")
    want = [(make_labels(s.labels), s.values[0]) for s in case.series]
    return _compare_vector(want, result, case.ordered)


def _compare_vector(want: list[tuple[Labels, Any]], got: list[tuple[Labels, float]], ordered: bool):
    expected = dict(want)
    for pos, (labels, value) in enumerate(got):
        if labels not in expected:
            return Outcome("fail", f"unexpected {dict(labels)} {value}")
        if not almost_equal(expected[labels], value):
            return Outcome("fail", f"{dict(labels)}: expected {expected[labels]}, got {value}")
        if ordered and want[pos][0] != labels:
            return Outcome("fail", f"{dict(labels)} at position {pos + 1}, expected elsewhere")
    missing = set(expected) - {labels for labels, _ in got}
    return Outcome("fail", f"missing {[dict(m) for m in missing]}") if missing else Outcome("pass")


def _check_range(case: fmt.Eval, results: Sequence[Any]) -> Outcome:
    got: dict[Labels, dict[int, float]] = {}
    for step, result in enumerate(results):
        vector = [((), result)] if isinstance(result, float) else result
        for labels, value in vector:
            got.setdefault(labels, {})[step] = value
    want: dict[Labels, dict[int, float]] = {}
    for s in case.series:
        points = {i: v for i, v in enumerate(s.values) if isinstance(v, float)}
        want[make_labels(s.labels)] = points
    if case.scalar is not None:
        want[()] = dict.fromkeys(range(len(results)), case.scalar)
    for labels, points in got.items():
        expected = want.get(labels)
        if expected is None:
            return Outcome("fail", f"unexpected series {dict(labels)}")
        if set(points) != set(expected) or not all(
            almost_equal(expected[i], v) for i, v in points.items()
        ):
            return Outcome("fail", f"{dict(labels)}: expected {expected}, got {points}")
    missing = set(want) - set(got)
    return Outcome("fail", f"missing {[dict(m) for m in missing]}") if missing else Outcome("pass")


def run_script(text: str) -> Tally:
    tally, runner = Tally(), Runner()
    for cmd in fmt.read_script(text):
        if isinstance(cmd, fmt.Clear):
            runner.clear()
        elif isinstance(cmd, fmt.Load):
            runner.load(cmd)
        else:
            tally.add(cmd, runner.run(cmd))
    return tally


def _files(paths: Sequence[str]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        out.extend(sorted(p.glob("*.test")) if p.is_dir() else [p])
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m harness.alerting.promqltest", description=__doc__
    )
    parser.add_argument("paths", nargs="+", help="promqltest .test files or folders of them")
    parser.add_argument("-v", "--verbose", action="store_true", help="list failures and refusals")
    args = parser.parse_args(argv)
    total, why = Counter[str](), Counter[str]()
    print(f"{'file':<28}{'cases':>7}{'native':>8}{'float':>7}{'supported':>11}{'passed':>8}")
    for path in _files(args.paths):
        try:
            tally = run_script(path.read_text())
        except (OSError, fmt.FormatError) as exc:
            print(f"{path.name}: cannot read: {exc}", file=sys.stderr)
            return 2
        _print_row(path.stem, tally.cases, tally.kinds)
        total.update(tally.kinds)
        total["cases"] += tally.cases
        for line, expr, outcome in tally.notes:
            if outcome.kind == "unsupported":
                why[outcome.why.split(" (")[0][:90]] += 1
            if args.verbose and outcome.kind == "fail":
                print(f"  FAIL {path.name}:{line} {expr}\n       {outcome.why[:300]}")
    _print_row("total", total.pop("cases", 0), total)
    if args.verbose:
        for reason, n in why.most_common():
            print(f"  {n:4} unsupported: {reason}")
    return 0


def _print_row(name: str, cases: int, kinds: Counter[str]) -> None:
    floats = cases - kinds["native"]
    supported = kinds["pass"] + kinds["fail"]
    print(f"{name:<28}{cases:>7}{kinds['native']:>8}{floats:>7}{supported:>11}{kinds['pass']:>8}")


if __name__ == "__main__":
    sys.exit(main())

"""Read Prometheus's PromQL test scripts (`promql/promqltest/testdata/*.test`) into commands.

The format, as promqltest's README documents it: `load <step>` blocks of series lines, `clear`,
and `eval instant at <t> <expr>` / `eval range from <t> to <t> step <d> <expr>` blocks whose
lines are `expect ...` directives, a bare number (a scalar result) or series lines (expected
values, `_` for no point). A `#` line is blank, and a blank line ends a block. Histogram samples
(`{{...}}`) are recognised, not decoded: a series holding one is reported as a native histogram.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import promql_parser as pp

from harness.alerting.promtool import MISSING, STALE, Slot, expand_values
from harness.durations import prometheus_duration
from harness.errors import ConfigError

# The command patterns of promqltest's test.go, unchanged.
_EVAL_INSTANT = re.compile(
    r"^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$"
)
_EVAL_RANGE = re.compile(
    r"^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$"
)
_EXPECT = re.compile(r"^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$")
_LOAD = re.compile(r"^load(?:_(with_nhcb))?\s+(.+?)$")
_HISTOGRAM = "{{"


class FormatError(ValueError):
    """A line the reader cannot understand; the message names the line."""


@dataclass
class Series:
    labels: dict[str, str]
    values: list[float | Slot]  # one slot per step; MISSING is "no sample"
    histogram: bool = False  # holds `{{...}}` samples (not decoded)


@dataclass
class Load:
    line: int
    step_s: float
    series: list[Series]
    nhcb: bool = False  # `load_with_nhcb`: classic buckets also stored as native histograms


@dataclass
class Clear:
    line: int


@dataclass
class Eval:
    line: int
    expr: str
    start_s: float
    end_s: float
    step_s: float = 0.0
    is_range: bool = False
    fail: bool = False
    fail_msg: str | None = None
    fail_regex: str | None = None
    ordered: bool = False
    scalar: float | None = None  # a bare number: the result is this scalar
    series: list[Series] = field(default_factory=list)
    other_result: str = ""  # "string" or "range vector": results a rule never has

    def times(self) -> list[float]:
        if not self.is_range:
            return [self.start_s]
        count = round((self.end_s - self.start_s) * 1000) // round(self.step_s * 1000)
        return [self.start_s + i * self.step_s for i in range(count + 1)]


Command = Load | Clear | Eval


def read_script(text: str) -> list[Command]:
    lines = ["" if ln.strip().startswith("#") else ln.strip() for ln in text.splitlines()]
    commands: list[Command] = []
    i = 0
    while i < len(lines):
        head, line = lines[i], i + 1
        word = head.split()[0].lower() if head else ""
        block, end = _block(lines, i + 1)
        if not head:
            end = i + 1
        elif word == "clear":
            commands.append(Clear(line))
            end = i + 1  # a one-line command: what follows is the next command
        elif word.startswith("load"):
            commands.append(_load(head, block, line))
        elif word.startswith("eval"):
            case, used = _eval(head, block, line)
            commands.append(case)
            end = i + 1 + used
        else:
            raise FormatError(f"line {line}: unknown command {head!r}")
        i = end
    return commands


def _block(lines: list[str], i: int) -> tuple[list[tuple[int, str]], int]:
    out = []
    while i < len(lines) and lines[i]:
        out.append((i + 1, lines[i]))
        i += 1
    return out, i


def _seconds(text: str, line: int) -> float:
    seconds = prometheus_duration(text.strip())
    if seconds is None:
        raise FormatError(f"line {line}: {text!r} is not a duration")
    return seconds


def _load(head: str, block: list[tuple[int, str]], line: int) -> Load:
    m = _LOAD.match(head)
    if m is None:
        raise FormatError(f"line {line}: {head!r} is not `load <step>`")
    series = [_series(text, n) for n, text in block if not _is_start_timestamps(text)]
    return Load(line, _seconds(m[2], line), series, nhcb=m[1] is not None)


def _is_start_timestamps(text: str) -> bool:
    return text.split()[0].endswith("@st")


def _eval(head: str, block: list[tuple[int, str]], line: int) -> tuple[Eval, int]:
    if m := _EVAL_INSTANT.match(head):
        at = _seconds(m[2] or "0", line)
        case = Eval(line, m[3], at, at, fail=m[1] == "fail", ordered=m[1] == "ordered")
    elif m := _EVAL_RANGE.match(head):
        start, end = _seconds(m[2], line), _seconds(m[3], line)
        case = Eval(line, m[5], start, end, _seconds(m[4], line), True, fail=m[1] == "fail")
    else:
        raise FormatError(f"line {line}: {head!r} is not an eval command")
    for used, (n, text) in enumerate(block, start=1):
        if not _directive(case, text) and _expected(case, text, n):
            return case, used  # a scalar ends the block, as in test.go
    return case, len(block)


def _directive(case: Eval, text: str) -> bool:
    if text.startswith("expect range vector") or text.startswith("expect string"):
        case.other_result = "range vector" if "range vector" in text else "string"
        return True
    if text.startswith(("expected_fail_message", "expected_fail_regexp")):
        word, _, rest = text.partition(" ")
        case.fail_msg, case.fail_regex = (rest.strip(), None) if "message" in word else (None, rest)
        return True
    if text.split()[0] != "expect":
        return False
    m = _EXPECT.match(text)
    if m is None:
        raise FormatError(f"bad expect line {text!r}")
    if m[1] == "ordered":
        case.ordered = True
    elif m[1] == "fail":
        case.fail = True
        if m[2] == "msg":
            case.fail_msg = m[3].strip()
        elif m[2] == "regex":
            case.fail_regex = m[3].strip()
    return True  # warn/info annotations are not produced by the evaluator: not checked


def _expected(case: Eval, text: str, line: int) -> bool:
    """Adds one expected result line; True when it was a scalar (which ends the block)."""
    case.scalar = _number(text)
    if case.scalar is None:
        case.series.append(_series(text, line))
    return case.scalar is not None


def _number(text: str) -> float | None:
    """test.go's parseNumber: an integer in any base Go reads, else a float."""
    for parse in (lambda s: float(int(s, 0)), float):
        try:
            return parse(text)
        except ValueError:
            pass
    return None


def _series(text: str, line: int) -> Series:
    desc, values = _split_series(text)
    labels = parse_labels(desc, line)
    if _HISTOGRAM in values:
        return Series(labels, [], histogram=True)
    try:
        return Series(labels, expand_values(values))
    except ConfigError as exc:
        raise FormatError(f"line {line}: {exc}") from exc


def _split_series(text: str) -> tuple[str, str]:
    depth, quote = 0, ""
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote and text[i - 1] != "\\" else quote
        elif ch in "\"'`":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch.isspace() and depth == 0:
            return text[:i], text[i:].strip()
    return text, ""


def parse_labels(desc: str, line: int = 0) -> dict[str, str]:
    """`name{a="b"}`, `{a="b"}` or `{}` -> the label set (`__name__` included)."""
    if desc.replace(" ", "") == "{}":
        return {}
    try:
        sel = pp.parse(desc)
    except ValueError as exc:
        raise FormatError(f"line {line}: series {desc!r}: {exc}") from exc
    if not isinstance(sel, pp.VectorSelector):
        raise FormatError(f"line {line}: {desc!r} is not a series")
    labels = {m.name: m.value for m in sel.matchers.matchers}
    if sel.name:
        labels["__name__"] = sel.name
    return labels


def samples(series: Series, step_s: float) -> Iterator[tuple[float, float | None]]:
    """(time, value) of each written sample; None is a staleness marker."""
    for i, v in enumerate(series.values):
        if v is STALE:
            yield i * step_s, None
        elif v is not MISSING:
            assert isinstance(v, float)
            yield i * step_s, v

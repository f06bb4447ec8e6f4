"""Loki push API, JSON (`POST /loki/api/v1/push`): the log lines a JWT Pizza service pushes,
kept with their labels and times so the auto-reporter can find the factory's report URL.

    {"streams": [{"stream": {"component": "jwt-pizza-service", "level": "error", ...},
                  "values": [["<unix ns as a string>", "<line>", {<structured metadata>}]]}]}

The course's logger writes each line as JSON whose `reqBody`/`resBody` are themselves JSON
text (sometimes twice encoded), so `report_urls` decodes nested JSON strings before looking.
Snappy-compressed protobuf pushes (Promtail's and Alloy's default) are refused by the route
with 415: configure the client to push JSON.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harness import jsontext
from harness.numbers import decimal
from harness.report_urls import find_report_urls

MAX_NESTING = 8
_URL = re.compile(r"https?://[^\s\"'<>\\]+")


class LokiError(ValueError):
    """The push is not Loki's JSON push format; the message names the field."""


@dataclass(frozen=True)
class LogLine:
    t: float  # the line's own time, epoch seconds
    labels: dict[str, str]
    line: str
    metadata: dict[str, str] = field(default_factory=dict)


def _stream_labels(stream: Any, where: str) -> dict[str, str]:
    if not isinstance(stream, dict) or not stream:
        raise LokiError(f"{where}.stream: at least one label pair is required per stream")
    if not all(isinstance(v, str) for v in stream.values()):
        raise LokiError(f"{where}.stream: label values must be strings")
    return {str(k): v for k, v in stream.items()}


def _entry(value: Any, labels: dict[str, str], where: str) -> LogLine:
    if not isinstance(value, list) or len(value) not in (2, 3):
        raise LokiError(f"{where}: expected [timestamp, line] or [timestamp, line, metadata]")
    stamp, line = value[0], value[1]
    nanos = stamp if isinstance(stamp, int) else decimal(stamp) if isinstance(stamp, str) else None
    if nanos is not None:
        t = nanos / 1e9
    else:
        raise LokiError(f"{where}[0]: timestamp must be unix nanoseconds as a string")
    if not isinstance(line, str):
        raise LokiError(f"{where}[1]: the log line must be a string")
    meta = value[2] if len(value) == 3 else {}
    if not isinstance(meta, dict):
        raise LokiError(f"{where}[2]: structured metadata must be an object")
    return LogLine(t, labels, line, {str(k): str(v) for k, v in meta.items()})


def parse_push(raw: bytes) -> list[LogLine]:
    """Every line of a JSON push request, or LokiError naming the bad field."""
    try:
        data = jsontext.loads(raw)
    except ValueError as exc:
        raise LokiError(f"body is not valid JSON: {exc}") from None
    streams = data.get("streams") if isinstance(data, dict) else None
    if not isinstance(streams, list):
        raise LokiError("streams: required, a list of {stream, values}")
    lines = []
    for i, stream in enumerate(streams):
        where = f"streams[{i}]"
        if not isinstance(stream, dict):
            raise LokiError(f"{where}: expected an object with stream and values")
        labels = _stream_labels(stream.get("stream"), where)
        values = stream.get("values")
        if not isinstance(values, list):
            raise LokiError(f"{where}.values: required, a list of [timestamp, line]")
        lines += [_entry(v, labels, f"{where}.values[{j}]") for j, v in enumerate(values)]
    return lines


class LogStore:
    """Pushed log lines in arrival order, bounded; `new_lines()` hands each line out once."""

    def __init__(self, max_lines: int = 100_000) -> None:
        self.max_lines = max_lines
        self._lines: list[LogLine] = []
        self._dropped = 0  # lines trimmed off the front
        self._cursor = 0  # absolute index of the first line new_lines() has not handed out

    def push(self, lines: Iterable[LogLine]) -> None:
        self._lines.extend(lines)
        excess = len(self._lines) - self.max_lines
        if excess > 0:
            del self._lines[:excess]
            self._dropped += excess

    def lines(self) -> list[LogLine]:
        return list(self._lines)

    def new_lines(self) -> list[LogLine]:
        start = max(self._cursor - self._dropped, 0)
        fresh = self._lines[start:]
        self._cursor = self._dropped + len(self._lines)
        return fresh


def decode_nested(value: Any, depth: int = 0) -> Any:
    """JSON text inside JSON (a logged `resBody`) decoded, as deep as MAX_NESTING levels."""
    if depth > MAX_NESTING:
        return value
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("{", "[", '"'):
            try:
                return decode_nested(jsontext.loads(text), depth + 1)
            except ValueError:
                return value
        return value
    if isinstance(value, dict):
        return {k: decode_nested(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_nested(v, depth + 1) for v in value]
    return value


def report_urls(lines: Iterable[LogLine]) -> list[str]:
    """The report URLs in these lines, in order, each once: JSON lines are searched as the
    auto-reporter searches answers (find_report_urls); plain-text lines by URL with /report."""
    found: list[str] = []
    for entry in lines:
        decoded = decode_nested(entry.line)
        if isinstance(decoded, (dict, list)):
            urls = find_report_urls(decoded)
        else:
            urls = [u for u in _URL.findall(entry.line) if "/report" in u]
        found += [u for u in urls if u not in found]
    return found

"""Reading the files other processes append to while the run goes on: the traffic's order
events and the service's JSON log lines, each from where the last read stopped; and what the
timeline keeps of a service's error line (from its log file or pushed to Loki)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.timeline import LogLine


class JsonLinesTail:
    """Complete JSON lines appended to `path` since the last call (a torn last line waits)."""

    def __init__(self, path: Path) -> None:
        self.path, self.offset = path, 0

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        with self.path.open("rb") as handle:
            handle.seek(self.offset)
            chunk = handle.read()
        end = chunk.rfind(b"\n") + 1
        self.offset += end
        lines = []
        for raw in chunk[:end].splitlines():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                continue  # not ours to judge: a service may log other lines
        return lines


def error_line(fields: dict[str, Any], type_: str = "", text: str = "") -> LogLine:
    """A service's error line as the timeline keeps it: its type, status and message (the
    factory's answer's message first); `type_` and `text` stand in when the line has none."""
    answer = fields.get("answer")
    message = answer.get("message") if isinstance(answer, dict) else None
    status = fields.get("status")
    return LogLine(
        level="error",
        type=str(fields.get("type") or type_),
        status=status if isinstance(status, int) else None,
        message=str(message or fields.get("error") or fields.get("message") or text)[:200],
    )

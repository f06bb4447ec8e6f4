"""Reading the files other processes append to while the run goes on: the traffic's order
events and the service's JSON log lines, each from where the last read stopped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


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

"""The run's live status line: rewritten in place on a terminal, plain lines otherwise (a CI log,
a pipe, a suite's run.log, or HARNESS_LIVE=plain), so a log keeps one line per second."""

from __future__ import annotations

import os
import sys
from typing import TextIO


class LiveLine:
    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.open = False  # a line is on screen without its newline

    def _out(self) -> TextIO:
        return self.stream or sys.stderr

    def in_place(self) -> bool:
        return os.environ.get("HARNESS_LIVE") != "plain" and self._out().isatty()

    def show(self, text: str) -> None:
        out = self._out()
        if self.in_place():
            out.write(f"\r{text}\x1b[K")  # back to the line start, clear what is left
            self.open = True
        else:
            out.write(text + "\n")
        out.flush()

    def end(self) -> None:
        """Close the line in place, so what is printed next starts on a line of its own."""
        if self.open:
            self._out().write("\n")
            self._out().flush()
            self.open = False


LIVE = LiveLine()

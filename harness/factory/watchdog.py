"""A factory the harness started ends with the harness, chaos first: when the process that
started it (HARNESS_PARENT_PID) is gone, the factory clears its chaos in its own store and stops.

The parent-death signal (harness.procs) already stops the factory when the harness dies; this
covers what that signal misses (the harness's starting thread still alive elsewhere, a platform
without prctl): a factory that outlives its run must not keep failing a service's orders.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

from harness.factory.store import FactoryStore
from harness.procs import PARENT_ENV

BY = "watchdog: the harness that started this factory is gone"


def parent_pid() -> int | None:
    """The pid our starter gave us, if it started us (None when run by hand)."""
    text = os.environ.get(PARENT_ENV, "")
    return int(text) if text.isdigit() else None


def orphaned(parent: int) -> bool:
    """Our parent died: we were re-parented (to init or a subreaper)."""
    return os.getppid() != parent


def clear_and_stop(state_dir: Path) -> None:
    """Clears the chaos in the shared store (every worker reads it), then SIGTERMs us."""
    try:
        FactoryStore(state_dir / "factory.db").end_chaos(event="chaos_cleared", by=BY)
    finally:
        os.kill(os.getpid(), signal.SIGTERM)


def watch(state_dir: Path, interval_s: float = 0.25) -> threading.Thread | None:
    """Starts the watch (a daemon thread) when a harness started us; None otherwise."""
    parent = parent_pid()
    if parent is None:
        return None

    def run() -> None:
        while not orphaned(parent):
            time.sleep(interval_s)
        clear_and_stop(state_dir)

    thread = threading.Thread(target=run, name="factory-watchdog", daemon=True)
    thread.start()
    return thread

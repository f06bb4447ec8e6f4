"""`<report dir>/gameday.json`: where a running game day's control API listens, with its token,
run folder and pid; written when the API listens, removed when it stops."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

GAMEDAY_FILE = "gameday.json"


def write_info(path: Path, url: str, token: str, run_dir: Path) -> None:
    """Atomically, readable by its owner only (it holds the token)."""
    info = {"url": url, "token": token, "run_dir": str(run_dir), "pid": os.getpid()}
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(info, handle)
    partial.replace(path)


def remove_info(path: Path) -> None:
    """Remove `path` if this process wrote it (another game day's file is left alone)."""
    if read_info(path).get("pid") == os.getpid():
        path.unlink(missing_ok=True)


def read_info(path: Path) -> dict[str, Any]:
    """The running game day's `gameday.json` ({} when there is none or it is unreadable)."""
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def running_pid(path: Path) -> int | None:
    """The pid of a live game day that wrote `path`, or None (no file, or a stale one)."""
    pid = read_info(path).get("pid")
    if not isinstance(pid, int):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid  # someone else's process: alive
    return pid

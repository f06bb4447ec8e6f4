"""Waiting for the real engines: ready (their /-/ready), then warm (Prometheus has scraped every
target and evaluated every rule group once), so a compressed baseline of a few wall seconds is
not spent on the engines' start-up."""

from __future__ import annotations

import time
from typing import Any

import httpx

from harness.errors import ServerError
from harness.procs import ManagedProcess


def wait_ready(url: str, process: ManagedProcess, timeout_s: float = 30.0) -> None:
    """Until `url` (an engine's /-/ready) answers 200: 503 means it is still starting."""
    _until(lambda: httpx.get(url, timeout=1.0).status_code == 200, process, timeout_s, url)


def wait_warm(prometheus_url: str, process: ManagedProcess, timeout_s: float = 30.0) -> None:
    """Until every scrape target is up and every rule group has been evaluated once."""

    def warm() -> bool:
        targets = _data(f"{prometheus_url}/api/v1/targets")["activeTargets"]
        groups = _data(f"{prometheus_url}/api/v1/rules")["groups"]
        scraped = bool(targets) and all(t.get("health") == "up" for t in targets)
        return scraped and all(not g["lastEvaluation"].startswith("0001") for g in groups)

    _until(warm, process, timeout_s, f"{prometheus_url}/api/v1/targets and /api/v1/rules")


def _data(url: str) -> Any:
    return httpx.get(url, timeout=1.0).json()["data"]


def _until(check: Any, process: ManagedProcess, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not process.alive():
            break
        try:
            if check():
                return
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            pass  # not up yet, or not answering in full yet
        time.sleep(0.05)
    raise ServerError(
        f"{process.name} did not become ready ({what})",
        fix=f"see {process.log_path}:\n{process.log_tail(8)}",
    )

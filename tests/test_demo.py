"""`harness demo` (what `make demo` runs): the whole cycle, and a clean stop on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx
import pytest

pytestmark = pytest.mark.slow  # real processes: not in `make test-fast`


def test_demo_runs_the_fail_and_report_cycle() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness", "demo", "--orders", "2"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "500" in done.stdout and "followLinkToEndChaos" in done.stdout
    assert "Problem resolved. Pizza is back on the menu!" in done.stdout
    assert "next order                         200" in done.stdout
    assert "pizza_orders_total 4.0" in done.stdout and "pizzas_made_total 3.0" in done.stdout


def test_sigterm_mid_demo_exits_4_and_stops_both_servers() -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "harness", "demo", "--orders", "500"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert demo.stdout is not None
    urls = []
    for line in demo.stdout:
        if "http://127.0.0.1" in line:
            urls.append(line.split()[-1])
        if "order 3 " in line:
            break
    demo.send_signal(signal.SIGTERM)
    assert demo.wait(timeout=30) == 4
    assert len(urls) == 2
    for url in urls:
        with pytest.raises(httpx.ConnectError):
            httpx.get(url, timeout=2)

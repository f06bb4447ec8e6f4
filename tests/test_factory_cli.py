"""`harness serve factory` refuses bad options with exit code 2, the option named, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # real processes: not in `make test-fast`


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--chaos-start", "soon"], "--chaos-start"),
        (["--chaos-start", "window:9-3"], "--chaos-start"),
        (["--workers", "0"], "--workers"),
        (["--order-delay-ms", "-5"], "--order-delay-ms"),
        (["--vendor-key", "two words"], "--vendor-key"),
    ],
)
def test_bad_option_exits_2_naming_it(args: list[str], named: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "harness", "serve", "factory", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert named in done.stderr and "fix" in done.stderr
    assert "Traceback" not in done.stderr

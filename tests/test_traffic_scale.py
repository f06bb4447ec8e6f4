"""The pure parts of many diners on one machine: a joining diner's first pause (arrivals order
at the steady rate at once) and the open-file limit the diners need."""

from __future__ import annotations

import random
import resource
import statistics

import pytest

from harness.traffic.limits import SPARE, FdLimit, needed_for, raise_open_files
from harness.traffic.think import first_pause


def test_first_pauses_spread_arrivals_at_the_steady_rate() -> None:
    rng = random.Random(7)
    pauses = [first_pause((10.0, 30.0), rng) for _ in range(20_000)]
    assert all(0 <= p <= 30 for p in pauses)
    # equilibrium first interval of uniform[10, 30] think: E = E[T^2] / (2 E[T]) = 433.3 / 40
    assert statistics.fmean(pauses) == pytest.approx(433.33 / 40, rel=0.03)
    # orders in the first 10 s: the steady rate (1 per 20 s per diner), not all at once
    assert sum(p < 10 for p in pauses) / len(pauses) == pytest.approx(10 / 20, rel=0.05)


def test_no_think_time_means_no_first_pause() -> None:
    assert first_pause((0.0, 0.0), random.Random(1)) == 0.0


def test_the_open_file_need_counts_each_diners_sockets_and_a_margin() -> None:
    assert needed_for(10_000, 1) == 10_000 + SPARE
    assert needed_for(10_000, 2) == 20_000 + SPARE


def test_a_limit_below_the_need_says_how_to_raise_it() -> None:
    short = FdLimit(needed=10_256, soft=1024, hard=4096)
    assert not short.enough and "ulimit -n 10256" in short.describe()
    assert "NOT ENOUGH" not in FdLimit(needed=300, soft=1024, hard=4096).describe()


def test_raising_the_limit_reaches_the_need_when_the_hard_limit_allows() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        got = raise_open_files(10, 1)  # far below any limit: nothing to raise
        assert got.enough and got.needed == 10 + SPARE
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

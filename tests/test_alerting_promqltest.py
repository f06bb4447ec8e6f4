"""The yardstick runner: it reads promqltest scripts as Prometheus's test.go does and judges each
case as promqltest would (our own small scripts here; Prometheus's files are not in the repo)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from harness.alerting import promqltest_format as fmt
from harness.alerting.promqltest import almost_equal, main, run_script

SCRIPT = """
# a comment line is blank
load 5m
  http_requests{job="api", instance="0"} 0+10x10
  http_requests{job="api", instance="1"} 0+20x10
  latency {{schema:0 sum:5 count:4 buckets:[1 2 1]}}

clear
load 1m
  up{job="api"} 1 1 _ stale 0
  down{job="api"} 0 0

eval instant at 1m up
  up{job="api"} 1

eval instant at 3m up

eval range from 0 to 4m step 1m up
  up{job="api"} 1 1 1 _ 0

eval instant at 0 1 + 1
  2

eval instant at 1m up or vector(5)
  expect ordered
  up{job="api"} 1
  {} 5

eval instant at 1m up
  up{job="api"} 2

eval instant at 1m {__name__=~"up|down"} * 1
  expect fail

eval instant at 1m limitk(1, up)
  up{job="api"} 1
"""


def outcomes(text: str) -> list[str]:
    return [outcome.kind for _, _, outcome in run_script(text).notes]


def test_a_script_reads_into_loads_clears_and_evals() -> None:
    commands = fmt.read_script(SCRIPT)
    kinds = [type(c).__name__ for c in commands]
    assert kinds[:3] == ["Load", "Clear", "Load"] and kinds.count("Eval") == 8
    first = commands[0]
    assert isinstance(first, fmt.Load) and first.step_s == 300
    assert [s.histogram for s in first.series] == [False, False, True]
    rng = next(c for c in commands if isinstance(c, fmt.Eval) and c.is_range)
    assert rng.times() == [0, 60, 120, 180, 240]
    assert rng.series[0].values == [1.0, 1.0, 1.0, fmt.MISSING, 0.0]
    scalar = next(c for c in commands if isinstance(c, fmt.Eval) and c.scalar is not None)
    assert scalar.scalar == 2.0 and scalar.start_s == 0


def test_each_case_is_judged_as_promqltest_does() -> None:
    # Staleness: the marker at 3m hides the sample of 1m, and the range eval has no point there.
    assert outcomes(SCRIPT) == [
        "pass",  # instant
        "pass",  # empty result: the staleness marker at 3m
        "pass",  # range with a gap (a range eval is an instant eval at each step)
        "pass",  # scalar
        "pass",  # ordered
        "fail",  # wrong value
        "pass",  # the expected error
        "unsupported",  # limitk is experimental
    ]


def test_native_histogram_cases_are_skipped_and_ordering_is_checked() -> None:
    text = """
load 1m
  latency {{schema:0 sum:5 count:4 buckets:[1 2 1]}}
  x{a="1"} 1
  x{a="2"} 2

eval instant at 0 histogram_count(latency)
  {} 4

eval instant at 0 x
  x{a="1"} 1
  x{a="2"} 2

eval instant at 0 x
  expect ordered
  x{a="2"} 2
  x{a="1"} 1
"""
    assert outcomes(text) == ["native", "pass", "fail"]


def test_a_later_definition_of_the_same_series_replaces_the_earlier_one() -> None:
    text = """
load 1m
  x{a="1"} 1
  x{a="1"} 7

eval instant at 0 x
  x{a="1"} 7
"""
    assert outcomes(text) == ["pass"]


def test_error_messages_are_checked_when_the_script_names_them() -> None:
    text = """
load 1m
  x{a="1"} 1
  y{a="1"} 1

eval instant at 0 {__name__=~"x|y"} * 2
  expect fail msg: vector cannot contain metrics with the same labelset

eval instant at 0 {__name__=~"x|y"} * 2
  expect fail regex: same label.et
"""
    assert outcomes(text) == ["pass", "pass"]


def test_almost_equal_is_prometheus_relative_epsilon() -> None:
    assert almost_equal(1.0, 1.0 + 1e-7) and not almost_equal(1.0, 1.0 + 1e-5)
    assert almost_equal(math.nan, math.nan) and not almost_equal(math.nan, 1.0)
    assert almost_equal(math.inf, math.inf) and not almost_equal(0.0, 1e-300)


def test_the_command_prints_a_row_per_file_and_the_total(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "mine.test").write_text(SCRIPT)
    assert main([str(tmp_path), "-v"]) == 0
    out = capsys.readouterr().out
    assert "mine" in out and "FAIL mine.test:" in out
    total = next(line for line in out.splitlines() if line.startswith("total")).split()
    assert total[1:] == ["8", "0", "8", "7", "6"]  # cases native float supported passed


def test_an_unreadable_script_is_exit_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.test").write_text("frobnicate everything\n")
    assert main([str(tmp_path)]) == 2
    assert "bad.test" in capsys.readouterr().err

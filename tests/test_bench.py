"""The bench in a tiny mode: the factory rows exist, in the table and the JSON, with positive
figures. No timing assertions: the machine is shared and noisy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

FACTORY_ROWS = ("sign", "factory_1w", "ratio_1w_sign", "factory_2w", "ratio_2w_1w", "jwks_1w")


@pytest.mark.slow
def test_tiny_factory_bench_reports_every_factory_row(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    argv = ["--runs", "1", "--seconds", "0.5", "--only", "factory", "--json", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "harness.bench", *argv],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    rows = {row["id"]: row for row in json.loads(out.read_text())["rows"]}
    assert tuple(rows) == FACTORY_ROWS
    for row in rows.values():
        assert row["median"] > 0 and row["min"] > 0, row
        assert row["label"] in done.stdout
    assert rows["factory_1w"]["not_ok"] == {}
    assert "round 1/1" in done.stderr
    assert "Factory rows loaded by" in done.stdout
    assert sorted(p.name for p in (tmp_path / "bench-logs").iterdir()) == [
        "factory-1w.log",
        "factory-2w.log",
    ]


def test_wrk_summary_line_becomes_a_sample() -> None:
    from harness.bench.wrk import MARK, parse, to_sample

    line = f'{MARK}{{"requests":1000,"duration_us":2000000,"status":10,"connect":0,'
    line += '"read":5,"write":0,"timeout":1}'
    sample = to_sample(parse(f"Running 2s test\n{line}\n"), {"factory": 99.0})
    assert sample.rate == (1000 - 10 - 5 - 1) / 2
    assert dict(sample.errors) == {"status": 10, "read": 5, "timeout": 1}

"""The suite gate's parts without starting a run: scenario names and folders resolve (shipped
scenarios are package data), every bad file is reported before anything starts, the table and
the one junit.xml with a test suite per scenario."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.scenario import ScenarioError
from harness.scenario_files import SHIPPED, find_scenario, find_scenarios, shipped_names
from harness.suite import Member, check_all, table, write_junit

SHIPPED_FILES = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))
SHIPPED_STEMS = sorted(p.stem for p in SHIPPED_FILES)


def test_the_shipped_scenarios_are_package_data() -> None:
    assert SHIPPED.parent.name == "harness"  # inside the package: a wheel carries them
    assert shipped_names() == SHIPPED_STEMS and "seed-incident" in SHIPPED_STEMS
    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    assert 'harness = ["scenarios/*.yaml"]' in pyproject


def test_a_name_resolves_from_anywhere(tmp_path: Path) -> None:
    found = find_scenario("seed-incident", tmp_path)  # no scenarios/ under tmp_path
    assert found == SHIPPED / "seed-incident.yaml" and found.is_file()
    with pytest.raises(UsageError, match="seed-incident") as err:
        find_scenario("seed-incidnet", tmp_path)
    assert "not found" in str(err.value)


def test_a_folder_gives_its_files_in_name_order() -> None:
    found = find_scenarios([str(SHIPPED), "throttle"])
    assert [p.stem for p in found] == [p.stem for p in SHIPPED_FILES]  # throttle: once


def test_every_bad_file_is_reported_before_anything_starts(tmp_path: Path) -> None:
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    one.write_text("name: one\nchaos: {type: fail}\n")
    two.write_text("name: two\nchaos: {type: melt, at: 1m}\n")
    with pytest.raises(ScenarioError) as err:
        check_all([one, SHIPPED / "throttle.yaml", two], None)
    assert str(one) in str(err.value) and str(two) in str(err.value)
    assert "nothing was started" in str(err.value)


def fake_run(tmp_path: Path, stem: str, code: int, passed: bool) -> Member:
    member = Member(SHIPPED / f"{stem}.yaml", tmp_path / stem, 60.0, code=code, wall_s=12.5)
    run_dir = member.report_dir / f"20240808-100000-{stem}"
    run_dir.mkdir(parents=True)
    milestones = [{"milestone": "alert firing", "reached": True, "since_chaos_s": 89.5}]
    summary = {"scenario": stem, "status": "passed" if passed else "failed", "failed_orders": 3}
    (run_dir / "summary.json").write_text(json.dumps({**summary, "milestones": milestones}))
    case = "" if passed else '<failure message="never recovered"/>'
    (run_dir / "junit.xml").write_text(
        f'<testsuite name="harness.{stem}" tests="1" failures="{int(not passed)}">'
        f'<testcase classname="harness.{stem}" name="recover_within">{case}</testcase>'
        "</testsuite>"
    )
    member.summary = summary | {"milestones": milestones}
    return member


def test_one_table_and_one_junit_with_a_suite_per_scenario(tmp_path: Path) -> None:
    members = [fake_run(tmp_path, "seed-incident", 0, True)]
    members.append(fake_run(tmp_path, "missed-throttle", 1, False))
    crashed = Member(SHIPPED / "throttle.yaml", tmp_path / "throttle", 60.0, code=3, wall_s=2.0)
    members.append(crashed)
    text = table(members, 14.0)
    assert "seed-incident      PASSED" in text and "+1m29.5s" in text
    assert "missed-throttle    FAILED" in text and "NO SUMMARY" in text
    assert text.splitlines()[-1] == "3 scenarios in 14.0 s wall"
    write_junit(tmp_path / "junit.xml", members)
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [
        "harness.seed-incident",
        "harness.missed-throttle",
        "harness.throttle",
    ]
    assert suites[1].find("testcase/failure") is not None
    error = suites[2].find("testcase/error")
    assert error is not None and "run.log" in (error.get("message") or "")

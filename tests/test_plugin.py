"""The pytest plugin as a team uses it: generated test files run by `pytester` in a pytest of their
own (a subprocess when real servers run), plus the scenario overrides harness_run relies on."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.scenario import ScenarioError, load_scenario

pytest_plugins = ["pytester"]

SEED = Path("scenarios/seed-incident.yaml")
SEED_CHECKS = [
    "detect_within",
    "notify_within",
    "acknowledge_within",
    "recover_within",
    "max_failed_orders",
    "no_alert_before_chaos",
    "alert_resolves_within",
]


@pytest.fixture
def pytester(pytester: pytest.Pytester) -> pytest.Pytester:
    """Generated sessions keep Locust's pytest plugin out, as this project's own config does."""
    pytester.makeini("[pytest]\naddopts = -p no:locust\n")
    return pytester


def leftovers(path: Path) -> str:
    """Processes whose command line names `path` (every server's state or db lives under it)."""
    return subprocess.run(["pgrep", "-af", str(path)], capture_output=True, text=True).stdout


@pytest.mark.slow
def test_the_plugin_is_registered_and_cheap_to_import() -> None:
    code = (
        "import sys, harness.pytest_plugin\n"
        "heavy = ('locust', 'gevent', 'matplotlib', 'httpx', 'harness.runner', 'harness.testing')\n"
        "print([m for m in heavy if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    from importlib.metadata import entry_points

    (plugin,) = [e for e in entry_points(group="pytest11") if e.name == "harness"]
    assert plugin.value == "harness.pytest_plugin"


def test_overrides_merge_nested_fields_before_validation() -> None:
    scenario = load_scenario(
        SEED,
        overrides={"time_scale": 120, "expect__detect_within": "30s", "chaos": {"at": "3m"}},
    )
    assert scenario.time_scale == 120 and scenario.expect.detect_within == 30
    assert scenario.expect.recover_within == 480  # the file's siblings are kept
    assert scenario.chaos[0].at == 180 and scenario.chaos[0].kind == "fail"
    assert load_scenario(SEED, time_scale=30, overrides={"time_scale": 120}).time_scale == 30


def test_a_bad_override_names_the_field() -> None:
    with pytest.raises(ScenarioError, match=r"expect\.detect_whitin: Extra inputs"):
        load_scenario(SEED, overrides={"expect__detect_whitin": "30s"})
    with pytest.raises(ScenarioError, match=r"chaos\.type"):
        load_scenario(SEED, overrides={"chaos__type": "explode"})


def test_harness_run_refuses_a_bad_override_or_scenario_before_starting(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import pytest

        def test_bad_override(harness_run):
            harness_run("seed-incident", expect__detect_whitin="30s")

        def test_unknown_scenario(harness_run):
            harness_run("no-such-scenario")

        @pytest.mark.pizza(tme_scale=2)
        def test_bad_marker_option(harness_run):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ConfigError: pizza marker: tme_scale: unknown option (fix: use one of:*time_scale*",
            "*ScenarioError*invalid scenario:",
            "*expect.detect_whitin: Extra inputs are not permitted*",
            "*UsageError: scenario 'no-such-scenario' not found*or one of:*seed-incident*",
        ]
    )


@pytest.mark.slow
def test_factory_and_service_fixtures_through_a_fail_and_report_cycle(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import time

        import httpx
        import pytest

        def test_fail_then_report_then_pizza(pizza_factory, pizza_service):
            token = pizza_service.register_diner()
            assert pizza_service.order(token).status_code == 200
            chaos = pizza_factory.chaos.arm("fail")
            assert chaos["type"] == "fail" and chaos["reportUrl"].startswith(pizza_factory.url)
            failed = pizza_service.order(token)
            assert failed.status_code == 500
            url = pizza_service.report_url(failed)
            assert url == chaos["reportUrl"]
            assert httpx.get(url).status_code == 200
            assert pizza_service.order(token).status_code == 200
            assert [r["outcome"] for r in pizza_factory.chaos.reports()] == ["resolved"]
            events = [t["event"] for t in pizza_factory.chaos.transitions()]
            assert events == ["chaos_armed", "chaos_started", "chaos_resolved"]

        @pytest.mark.pizza(order_delay_ms=400)
        def test_the_marker_sets_the_factory_delay(pizza_factory, pizza_service):
            assert pizza_factory.chaos.state()["orderDelayMs"] == 400
            pizza_factory.chaos.arm("throttle")
            token = pizza_service.register_diner()
            started = time.monotonic()
            assert pizza_service.order(token).status_code == 200
            assert time.monotonic() - started >= 0.4

        def test_faults_come_and_go(pizza_factory, pizza_service):
            assert pizza_factory.chaos.state()["orderDelayMs"] == 50
            pizza_factory.chaos.add_fault("error", name="outage", status=503)
            token = pizza_service.register_diner()
            assert pizza_service.order(token).status_code == 500
            assert pizza_factory.chaos.remove_fault("outage") == 1
            assert pizza_service.order(token).status_code == 200
            pizza_factory.chaos.arm("fail", at=60)
            assert pizza_service.order(token).status_code == 200  # not started yet
            assert pizza_factory.chaos.clear() == "Chaos cleared"
            pizza_factory.chaos.reset()
            assert [t["event"] for t in pizza_factory.chaos.transitions()] == ["reset"]

        def test_a_failing_test_still_stops_its_servers(pizza_service):
            assert pizza_service.order(pizza_service.register_diner()).status_code == 418
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=240)
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*assert 200 == 418*"])
    assert leftovers(pytester.path) == ""


@pytest.mark.slow
def test_harness_run_returns_the_verdict(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        f"""
        import pytest

        def test_the_seed_incident_passes(harness_run):
            verdict = harness_run("seed-incident")
            assert verdict.passed, verdict
            assert verdict.exit_code == 0 and verdict.status == "passed"
            assert [c.name for c in verdict.checks] == {SEED_CHECKS!r}
            assert (verdict.run_dir / "summary.json").exists()

        @pytest.mark.pizza(time_scale=120)
        def test_an_impossible_expectation_fails(harness_run):
            verdict = harness_run("seed-incident", expect__detect_within="10s")
            assert verdict.summary["time_scale"] == 120
            assert verdict.exit_code == 1 and verdict.status == "failed"
            assert [c.name for c in verdict.failed_checks] == ["detect_within"]
            assert verdict.check("detect_within").limit == 10
            assert verdict.passed, verdict
        """
    )
    result = pytester.runpytest_subprocess("--harness-report-dir", "runs", timeout=300)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E*AssertionError: Verdict('seed-incident' failed, exit 1: "
            "detect_within *.* s (limit 10 s); run folder */runs/*-seed-incident)",
            "E*where False = Verdict('seed-incident' failed, exit 1: detect_within*).passed",
            "*Captured stdout call*",
            "Scenario seed-incident (time scale 120.0x): FAILED, exit 1",
            "  FAIL detect_within*limit 10 s)",
        ]
    )
    assert len(list((pytester.path / "runs").iterdir())) == 2
    assert leftovers(pytester.path) == ""


@pytest.mark.slow
def test_ctrl_c_during_harness_run_rolls_back_and_stops_the_session(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        def test_interrupted(harness_run):
            harness_run("no-autoreport")  # chaos that never ends by itself

        def test_never_reached():
            pass
        """
    )
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "--harness-report-dir",
        "runs",
        "-p",
        "no:cacheprovider",
    ]
    inner = subprocess.Popen(
        argv, cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    deadline = time.monotonic() + 120
    timelines = pytester.path / "runs"
    while time.monotonic() < deadline and '"chaos_started"' not in "".join(
        p.read_text() for p in timelines.glob("*/timeline.jsonl")
    ):
        time.sleep(0.2)
    inner.send_signal(signal.SIGINT)
    out, _ = inner.communicate(timeout=120)
    assert inner.returncode == 2, out  # pytest's "interrupted"
    assert "KeyboardInterrupt" in out and "harness run interrupted" in out
    (run_dir,) = timelines.iterdir()
    assert '"status": "interrupted"' in (run_dir / "summary.json").read_text()
    assert leftovers(pytester.path) == ""

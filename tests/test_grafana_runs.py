"""The shipped Grafana scenarios: they validate, the seed and throttle pass judged by the exported
rules, and the negative control (a 40 s latency threshold against a 32 s throttle) fails its
gate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.scenario import load_scenario

SCENARIOS = sorted(Path("scenarios/grafana").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_grafana_scenarios_validate(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.alerting.grafana_rules is not None
    assert Path(scenario.alerting.grafana_rules).is_absolute()


def test_every_factory_fault_has_a_grafana_gate() -> None:
    chaos = {p.stem: load_scenario(p).chaos[0].kind for p in SCENARIOS}
    assert {"seed-incident", "throttle", "badjwt", "missed-throttle"} <= set(chaos)
    assert (chaos["seed-incident"], chaos["throttle"], chaos["badjwt"]) == (
        "fail",
        "throttle",
        "badjwt",
    )


def test_grafana_rules_beside_prometheus_rules_are_refused(tmp_path: Path) -> None:
    text = Path("scenarios/grafana/seed-incident.yaml").read_text()
    path = tmp_path / "both.yaml"
    both = text.replace("alerting:\n", "alerting:\n  rules: [{alert: A, expr: up == 0}]\n")
    path.write_text(both)
    with pytest.raises(UsageError, match="grafana_rules"):
        load_scenario(path)


def _run(name: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], Path]:
    argv = [sys.executable, "-m", "harness", "run", f"scenarios/grafana/{name}.yaml",
            "--report-dir", str(tmp_path)]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    return done, next(tmp_path.iterdir())


@pytest.mark.slow
def test_the_seed_passes_judged_by_the_exported_grafana_rule(tmp_path: Path) -> None:
    done, run_dir = _run("seed-incident", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    postmortem = (run_dir / "postmortem.md").read_text()
    assert "PizzaCreationFailures" in postmortem and "threshold B >= 3" in postmortem


@pytest.mark.slow
def test_the_grafana_negative_control_fails_naming_detect_within(tmp_path: Path) -> None:
    done, _ = _run("missed-throttle", tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL detect_within" in done.stdout


@pytest.mark.slow
def test_throttle_is_caught_by_the_grafana_rule_on_the_diners_latency(tmp_path: Path) -> None:
    done, run_dir = _run("throttle", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PASS detect_within" in done.stdout
    postmortem = (run_dir / "postmortem.md").read_text()
    assert "DinersWaitingForPizza" in postmortem and "threshold B > 20" in postmortem

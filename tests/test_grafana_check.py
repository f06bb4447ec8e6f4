"""`harness grafana check FILE`: the export printed as the harness will judge it (exit 0), or exit 2
naming the file, the rule, the refId and the fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli import main
from tests.grafana_support import failures_rule

PAYLOADS = Path(__file__).parent / "payloads" / "grafana"


def test_a_good_export_prints_every_rule_as_understood(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grafana", "check", str(PAYLOADS / "pizza-alerts.yaml")]) == 0
    out = capsys.readouterr().out
    assert "pizza-alerts.yaml: ok, 3 rules the harness can judge" in out
    assert "folder JWT Pizza, group jwt-pizza, every 30s" in out
    assert (
        "A = query `sum(increase(pizza_factory_failures_total[1m]))` "
        "(instant, at evaluation; data source grafanacloud-prom)" in out
    )
    assert "B = reduce mean(A), drop non-numeric" in out
    assert "C = math $B * 1000" in out
    assert "D = threshold C > 20000, recovers when C < 5000   <- condition" in out
    assert "B = classic condition max(A) > 0   <- condition" in out
    assert "condition C; pending period (for) 1m, keep firing for 2m" in out
    assert "no data -> OK, error -> Error" in out
    assert "notifications (the export's root policy): group by grafana_folder, alertname" in out


def test_one_rules_json_says_the_interval_is_grafanas_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rule.json"
    one = failures_rule(ruleGroup="jwt-pizza", folderUID="pizza", noDataState="Alerting")
    path.write_text(json.dumps(one))
    assert main(["grafana", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "every 1m (Grafana's default" in out and "no data -> Alerting" in out
    assert "notifications (Grafana's default policy)" in out


def test_a_loki_rule_exits_2_naming_file_rule_ref_id_and_fix(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["grafana", "check", str(PAYLOADS / "loki-rule.json")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "loki-rule.json" in captured.err and "rule 'Log errors', refId A" in captured.err
    assert "'loki' is not Prometheus" in captured.err
    assert "fix: alert on a Prometheus" in captured.err


def test_a_prometheus_rule_file_is_not_an_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("groups: [{name: g, rules: [{alert: A, expr: up == 0}]}]\n")
    assert main(["grafana", "check", str(path)]) == 2
    assert "not a Grafana alert-rule export" in capsys.readouterr().err


def test_the_shipped_exports_check(capsys: pytest.CaptureFixture[str]) -> None:
    for path in sorted(Path("scenarios/grafana/rules").glob("*.yaml")):
        assert main(["grafana", "check", str(path)]) == 0, capsys.readouterr().err

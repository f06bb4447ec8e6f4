"""Rule loading: Prometheus rule files and rule lists, every error naming the field path and rule;
durations in Prometheus syntax; the template subset."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.alerting import load_rule_file, load_rules, load_rules_yaml, parse_duration
from harness.alerting.templates import compile_template, go_value, humanize, humanize_duration
from harness.errors import ConfigError, UsageError

RULE_FILE = """
groups:
- name: jwt-pizza
  interval: 30s
  rules:
  - alert: PizzaCreationFailures
    expr: sum by (source) (increase(pizzas_failed_total{source="jwt-pizza-service"}[1m])) > 0
    for: 1m
    keep_firing_for: 2m
    labels: {severity: critical}
    annotations: {summary: "Pizza failures on {{ $labels.source }} ({{ $value }})"}
"""


def test_a_rule_file_loads_completely(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text(RULE_FILE)
    (group,) = load_rule_file(path)
    assert (group.name, group.interval_s) == ("jwt-pizza", 30.0)
    (rule,) = group.rules
    assert (rule.name, rule.for_s, rule.keep_firing_for_s) == ("PizzaCreationFailures", 60, 120)
    assert rule.labels["severity"].expand({}, 1.0) == "critical"
    summary = rule.annotations["summary"].expand({"source": "svc"}, 3.0)
    assert summary == "Pizza failures on svc (3)"
    assert rule.field == f"{path}.groups[0].rules[0]"


def test_a_list_of_rule_dicts_is_one_group() -> None:
    (group,) = load_rules([{"alert": "A", "expr": "up == 0"}], "alerting.rules")
    assert group.interval_s is None
    assert group.rules[0].field == "alerting.rules[0]"


def bad(doc: Any, where: str = "alerting.rules") -> ConfigError:
    with pytest.raises(ConfigError) as err:
        load_rules(doc, where)
    return err.value


@pytest.mark.parametrize(
    ("rule", "field", "says"),
    [
        ({"expr": "up"}, "alerting.rules[0].alert", "`alert` name"),
        ({"alert": "A"}, "alerting.rules[0].expr", "rule 'A'"),
        (
            {"alert": "A", "expr": "histogram_count(up)"},
            "alerting.rules[0].expr",
            "`histogram_count()`",
        ),
        ({"alert": "A", "expr": "rate(up)"}, "alerting.rules[0].expr", "invalid PromQL"),
        ({"alert": "A", "expr": "up", "for": "1x"}, "alerting.rules[0].for", "duration"),
        ({"alert": "A", "expr": "up", "for": 60}, "alerting.rules[0].for", "duration"),
        ({"alert": "A", "expr": "up", "keep_firing_for": "-1m"}, ".keep_firing_for", "duration"),
        ({"alert": "A", "expr": "up", "fro": "1m"}, "alerting.rules[0].fro", "unknown field"),
        ({"record": "job:up", "expr": "up"}, "alerting.rules[0].record", "recording rules"),
        ({"alert": "A", "expr": "up", "labels": {"bad-name": "x"}}, ".labels.bad-name", "label"),
        ({"alert": "A", "expr": "up", "labels": {"sev": ["x"]}}, ".labels.sev", "string"),
        ({"alert": "A", "expr": "up", "labels": {"alertname": "B"}}, ".labels", "alertname"),
        (
            {"alert": "A", "expr": "up", "annotations": {"s": "{{ .Foo }}"}},
            "alerting.rules[0].annotations.s",
            "template",
        ),
        ({"alert": "A", "expr": "up", "annotations": {"s": "{{ x"}}, ".annotations.s", "{{"),
    ],
)
def test_rule_errors_name_the_field_and_the_rule(
    rule: dict[str, Any], field: str, says: str
) -> None:
    err = bad([rule])
    assert isinstance(err, UsageError)
    assert err.field.startswith("alerting.rules[0]") and err.field.endswith(field)
    assert says in str(err)
    if "alert" in rule:
        assert f"rule {rule['alert']!r}" in str(err)


def test_the_second_rule_of_the_second_group_is_named_by_its_path() -> None:
    doc = {
        "groups": [
            {"name": "a", "rules": [{"alert": "X", "expr": "up"}]},
            {
                "name": "b",
                "rules": [{"alert": "Y", "expr": "up"}, {"alert": "Z", "expr": "limitk(1, up)"}],
            },
        ]
    }
    err = bad(doc, "scenario.alerting")
    assert err.field == "scenario.alerting.groups[1].rules[1].expr"
    assert "rule 'Z'" in str(err) and "`limitk`" in str(err)


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"groups": []}, "alerting.rules.groups"),
        ({"rules": []}, "alerting.rules"),
        ({"groups": [{"rules": []}]}, "alerting.rules.groups[0].name"),
        ({"groups": [{"name": "g", "rules": {}}]}, "alerting.rules.groups[0].rules"),
        ({"groups": [{"name": "g", "interval": "0s", "rules": []}]}, ".groups[0].interval"),
        ({"groups": [{"name": "g", "limit": 3, "rules": []}]}, ".groups[0].limit"),
        (
            {"groups": [{"name": "g", "rules": []}, {"name": "g", "rules": []}]},
            "alerting.rules.groups[1].name",
        ),
    ],
)
def test_group_errors_name_the_field(doc: Any, field: str) -> None:
    assert bad(doc).field.endswith(field)


def test_yaml_and_file_errors() -> None:
    with pytest.raises(ConfigError) as err:
        load_rules_yaml("groups: [", "rules.yml")
    assert err.value.field == "rules.yml"
    with pytest.raises(ConfigError, match="cannot read"):
        load_rule_file("/nonexistent/rules.yml")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("1m", 60), ("1h30m", 5400), ("500ms", 0.5), ("0", 0), ("1d", 86400),
     ("1w", 604800), ("1m30s500ms", 90.5), (0, 0)],
)  # fmt: skip
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text, "f") == seconds


@pytest.mark.parametrize("text", ["", "1x", "1.5m", "-1m", "60", "m", "1s1m", None, 1.5])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ConfigError) as err:
        parse_duration(text, "alerting.for")
    assert err.value.field == "alerting.for"


@pytest.mark.parametrize(
    ("value", "text"),
    [(3.0, "3"), (0.35, "0.35"), (1e6, "1e+06"), (123456.0, "123456"), (1234567.0, "1.234567e+06"),
     (0.0001, "0.0001"), (0.00001, "1e-05"), (-2.5, "-2.5"), (float("inf"), "+Inf"),
     (float("nan"), "NaN")],
)  # fmt: skip
def test_value_prints_as_go_does(value: float, text: str) -> None:
    assert go_value(value) == text


def test_template_functions() -> None:
    assert humanize(1234.5678) == "1.235k"
    assert humanize(0.35) == "350m"
    assert humanize(0) == "0"
    assert humanize_duration(3725.2) == "1h 2m 5s"
    assert humanize_duration(0.0123) == "12.3ms"
    t = compile_template(
        '{{ $value | humanizePercentage }} {{ printf "%.2f" $value }} {{ .Value | printf "%.1f" }}'
        " [{{$labels.missing}}] {{/* note */}}{{ .Labels.route }}",
        "f",
    )
    assert t.expand({"route": "/order"}, 0.12345) == "12.35% 0.12 0.1 [] /order"
    odd = compile_template("{{ $labels.n | humanize }}", "f")
    assert odd.expand({"n": "abc"}, 1.0).startswith("<error expanding template")

"""One entry point for a rule file a team hands the harness: Prometheus's rule-file format, or a
Grafana alert-rule export (YAML or JSON), told apart by their shape."""

from __future__ import annotations

from pathlib import Path

from harness.alerting.grafana.load import GrafanaRules, is_grafana_document, load_grafana_document
from harness.alerting.rules import RuleGroup
from harness.alerting.rules import load_rules as load_prometheus_rules
from harness.errors import ConfigError
from harness.yamltext import YamlTextError, load_yaml


def read_rule_document(path: str | Path) -> object:
    """The file's document (JSON is YAML, so one reader takes both)."""
    p = Path(path)
    try:
        return load_yaml(p.read_bytes())
    except OSError as exc:
        raise ConfigError(
            str(p), f"cannot read the rule file: {exc.strerror}", fix="check the path"
        ) from None
    except YamlTextError as exc:
        raise ConfigError(
            str(p), f"{exc}", fix="fix the syntax, or export the rules again"
        ) from None


def load_rules(path: str | Path) -> list[RuleGroup] | GrafanaRules:
    """Prometheus rule groups, or Grafana rules (a GrafanaRules) when the file is an export."""
    doc = read_rule_document(path)
    if is_grafana_document(doc):
        return load_grafana_document(doc, str(path))
    return load_prometheus_rules(doc, str(path))


def rules_overrides(path: Path) -> dict[str, object]:
    """`--rules FILE` as scenario fields: a Grafana export becomes `alerting.grafana_rules`,
    a Prometheus rule file the `alerting.rules` list (every group's rules, checked first)."""
    doc = read_rule_document(path)
    if is_grafana_document(doc):
        load_grafana_document(doc, str(path))  # every error names the file and the rule
        return {"alerting__grafana_rules": str(path.resolve()), "alerting__rules": []}
    groups = load_prometheus_rules(doc, str(path))
    if isinstance(doc, list):
        return {"alerting__rules": doc}
    rules = [rule for group in doc["groups"] for rule in group.get("rules") or []]  # type: ignore[index]
    intervals = {g.interval_s for g in groups}
    if len(intervals) > 1:
        raise ConfigError(
            str(path),
            "its groups have different evaluation intervals; a run evaluates every rule on one",
            fix="give the groups one interval (or none), or set alerting.evaluation_interval",
        )
    (interval,) = intervals
    every = {} if interval is None else {"alerting__evaluation_interval": interval}
    return {"alerting__rules": rules, **every}

"""What a run needs to judge a Grafana export with the built-in evaluator: the engine, a Notifier
with the export's root notification policy (Grafana's defaults without one), and the rules as the
timeline records them (each step quoted as the team wrote it)."""

from __future__ import annotations

from harness.alerting.grafana.load import GrafanaRules
from harness.alerting.grafana.rule import describe
from harness.alerting.grafana.state import GrafanaEngine
from harness.alerting.notify import Notifier
from harness.alerting.rulefile import load_rules
from harness.alerting.tsdb import TSDB
from harness.errors import ConfigError
from harness.timeline import AlertRule


def grafana_watch(path: str, tsdb: TSDB) -> tuple[GrafanaEngine, Notifier, list[AlertRule]]:
    loaded = load_rules(path)
    if not isinstance(loaded, GrafanaRules):
        raise ConfigError("alerting.grafana_rules", f"{path} is not a Grafana export")
    p = loaded.policy
    notifier = Notifier(list(p.group_by), p.group_wait_s, p.group_interval_s, p.repeat_interval_s)
    return GrafanaEngine(loaded.rules, tsdb), notifier, rule_events(loaded)


def rule_events(loaded: GrafanaRules) -> list[AlertRule]:
    return [
        AlertRule(
            alertname=r.title,
            expr="; ".join(describe(s).replace("`", "") for s in r.steps)
            + f"; condition {r.condition}",
            for_s=r.for_s,
            keep_firing_for_s=r.keep_firing_for_s,
        )
        for r in loaded.rules
    ]

"""The built-in alerting engine: Prometheus rules over scraped metrics, Alertmanager timing.

Everything runs in *scenario time* (float seconds the caller supplies), never the wall clock, so
a time-compressed run and a unit test in fake time behave exactly alike.

    tsdb.TSDB        store scrapes (`ingest_exposition`) and pushed samples (`ingest`)
    promql.evaluate  evaluate a PromQL expression at t (the supported subset is listed there)
    rules            load and validate Prometheus rule files / rule dicts (ConfigError on bad input)
    engine           AlertEngine.evaluate(t): Prometheus's pending/firing/resolved state machine
    notify           Notifier: Alertmanager grouping, group_wait/group_interval/repeat_interval
    promtool         promtool's input-series notation, for tests and replays
"""

from harness.alerting.engine import Alert, AlertEngine, AlertTransition
from harness.alerting.notify import Notification, NotifiedAlert, Notifier
from harness.alerting.promql import EvalError, evaluate
from harness.alerting.rules import (
    AlertRule,
    RuleGroup,
    load_rule_file,
    load_rules,
    load_rules_yaml,
    parse_duration,
)
from harness.alerting.syntax import compile_expr
from harness.alerting.tsdb import TSDB, ExpositionError

__all__ = [
    "TSDB",
    "Alert",
    "AlertEngine",
    "AlertRule",
    "AlertTransition",
    "EvalError",
    "ExpositionError",
    "Notification",
    "NotifiedAlert",
    "Notifier",
    "RuleGroup",
    "compile_expr",
    "evaluate",
    "load_rule_file",
    "load_rules",
    "load_rules_yaml",
    "parse_duration",
]

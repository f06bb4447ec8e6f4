"""Generated configuration for a run's real Prometheus and Alertmanager, in wall time.

`EngineConfig.build(alerting, time_scale, ...)` scales every duration (see scaling.py) and
writes into `run_dir/prometheus/`: `rules.yml` (the scenario's rules as a rule file, unchanged),
`rules.scaled.yml` (the same rules, durations divided by the time scale: what Prometheus loads),
`prometheus.yml` (scrape the service and the harness's diner counts, alert to Alertmanager),
`alertmanager.yml` (two routes to the harness's webhook receiver, below) and `scaling.txt`
(every scaled duration and every floor warning).

Alertmanager routes everything twice (`continue: true`):
- `harness-state`: one group per alert, `group_wait` 0, `group_interval` at the floor: each
  alert's firing and resolved reach the harness as soon as Prometheus sends them, with
  Prometheus's own `startsAt` (FiredAt) and `endsAt` (ResolvedAt): the timeline's Alert events;
- `harness-pager`: the scenario's `group_by`, `group_wait`, `group_interval`,
  `repeat_interval`: the notifications that page the on-call (Notified events).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from harness.alerting.backends.scaling import (
    ALERTMANAGER_RESOLVE_TIMEOUT_S,
    PROMETHEUS_LOOKBACK_S,
    PROMETHEUS_RESEND_DELAY_S,
    Scaler,
    prom_duration,
    rule_groups,
    scale_rules,
)
from harness.scenario import Alerting

STATE_PATH = "/alertmanager/state"
PAGER_PATH = "/alertmanager/pager"
METRICS_PATH = "/metrics"


@dataclass
class EngineConfig:
    """Everything the two engines are started with, wall units, plus what it means in
    scenario units (for the comparison with the built-in evaluator)."""

    time_scale: float
    scrape_s: float
    eval_s: float
    resend_delay_s: float
    lookback_s: float
    rules: dict[str, Any]
    scaled_rules: dict[str, Any]
    route: dict[str, Any]
    resolve_timeout_s: float
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, alerting: Alerting, time_scale: float, name: str = "default") -> EngineConfig:
        sc = Scaler(time_scale)
        scrape = sc.wall(alerting.scrape_interval, "alerting.scrape_interval", "scrape_interval")
        evaluation = sc.wall(
            alerting.evaluation_interval, "alerting.evaluation_interval", "evaluation_interval"
        )
        resend = sc.wall(PROMETHEUS_RESEND_DELAY_S, "--rules.alert.resend-delay", "resend_delay")
        rules = rule_groups(alerting.rules, name)
        route = {
            "group_by": list(alerting.group_by),
            "group_wait": sc.text(alerting.group_wait, "alerting.group_wait"),
            "group_interval": sc.text(
                alerting.group_interval, "alerting.group_interval", "group_interval"
            ),
            "repeat_interval": sc.text(
                alerting.repeat_interval, "alerting.repeat_interval", "repeat_interval"
            ),
        }
        return cls(
            time_scale=time_scale,
            scrape_s=scrape,
            eval_s=evaluation,
            resend_delay_s=resend,
            lookback_s=sc.wall(PROMETHEUS_LOOKBACK_S, "--query.lookback-delta"),
            rules=rules,
            scaled_rules=scale_rules(rules, sc, scrape),
            route=route,
            resolve_timeout_s=sc.wall(ALERTMANAGER_RESOLVE_TIMEOUT_S, "resolve_timeout"),
            warnings=sc.warnings,
        )

    def prometheus_yml(self, service: str, diners: str, alertmanager: str, rules: Path) -> str:
        """`service`: its base URL (scheme and path kept); `diners`, `alertmanager`: host:port."""
        scrape = prom_duration(self.scrape_s)
        doc = {
            "global": {
                "scrape_interval": scrape,
                "scrape_timeout": scrape,  # Prometheus refuses a timeout above the interval
                "evaluation_interval": prom_duration(self.eval_s),
            },
            "rule_files": [str(rules)],
            "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]},
            "scrape_configs": [
                {"job_name": "pizza-service", **scrape_target(service)},
                {"job_name": "diners", "static_configs": [{"targets": [diners]}]},
            ],
        }
        return yaml.safe_dump(doc, sort_keys=False)

    def alertmanager_yml(self, receiver_url: str) -> str:
        """`receiver_url`: the harness's webhook receiver, http://127.0.0.1:PORT."""
        state_route = {
            "receiver": "harness-state",
            "group_by": ["..."],
            "group_wait": "0s",
            "group_interval": prom_duration(0.1),
            "repeat_interval": "1000h",
            "continue": True,
        }
        doc = {
            "global": {"resolve_timeout": prom_duration(self.resolve_timeout_s)},
            "route": {
                "receiver": "harness-pager",
                **self.route,
                "routes": [state_route, {"receiver": "harness-pager"}],
            },
            "receivers": [
                {"name": name, "webhook_configs": [{"url": receiver_url + path}]}
                for name, path in (("harness-pager", PAGER_PATH), ("harness-state", STATE_PATH))
            ],
        }
        return yaml.safe_dump(doc, sort_keys=False)

    def prometheus_flags(self) -> list[str]:
        return [
            f"--rules.alert.resend-delay={prom_duration(self.resend_delay_s)}",
            f"--query.lookback-delta={prom_duration(self.lookback_s)}",
        ]

    def describe(self) -> str:
        s = self.time_scale
        lines = [
            f"time scale {s:g}x: every duration below is wall time (scenario time / {s:g})",
            f"scrape_interval {prom_duration(self.scrape_s)} "
            f"(scenario {prom_duration(self.scrape_s * s)})",
            f"evaluation_interval {prom_duration(self.eval_s)} "
            f"(scenario {prom_duration(self.eval_s * s)})",
            *[f"--{flag[2:]}" for flag in self.prometheus_flags()],
            f"alertmanager route {self.route}",
            f"alertmanager resolve_timeout {prom_duration(self.resolve_timeout_s)}",
            *[f"WARNING {w}" for w in self.warnings],
        ]
        return "\n".join(lines) + "\n"

    def write(self, folder: Path, service: str, diners: str, am: str, receiver_url: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "rules.yml").write_text(yaml.safe_dump(self.rules, sort_keys=False))
        scaled = folder / "rules.scaled.yml"
        scaled.write_text(yaml.safe_dump(self.scaled_rules, sort_keys=False))
        (folder / "prometheus.yml").write_text(self.prometheus_yml(service, diners, am, scaled))
        (folder / "alertmanager.yml").write_text(self.alertmanager_yml(receiver_url))
        (folder / "scaling.txt").write_text(self.describe())
        return folder


def scrape_target(url: str) -> dict[str, Any]:
    """A scrape job's target for a service's base URL: `https://host/app` scrapes
    `https://host/app/metrics`; a bare host:port is plain http on /metrics."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    return {
        "scheme": parts.scheme,
        "metrics_path": parts.path.rstrip("/") + "/metrics",
        "static_configs": [{"targets": [parts.netloc]}],
    }

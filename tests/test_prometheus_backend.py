"""The Prometheus backend's parts without a run: scaled configuration and its floors, the rule
rewrite, Alertmanager payloads -> timeline events, the receiver, the missing-binary error, the
differential comparison's arithmetic."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from harness.alerting.backends.amwebhook import PayloadError, parse_payload
from harness.alerting.backends.differential import Run, agree, onset_orders, table
from harness.alerting.backends.promconfig import EngineConfig, scrape_target
from harness.alerting.backends.prometheus import PrometheusWatch, find_binary
from harness.alerting.backends.receiver import Receiver
from harness.alerting.backends.scaling import Scaler, prom_duration, scale_expr, scale_rules
from harness.alerting.diners import DinerSeries
from harness.errors import ServerError
from harness.procs import ProcessGroup
from harness.scenario import ScenarioError, load_scenario
from harness.timeline import Timeline

SEED = Path("scenarios/seed-incident.yaml")
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC).timestamp()  # the run's scenario time 0


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1.0, "1s"), (0.25, "250ms"), (2.143, "2s143ms"), (90, "1m30s"), (0, "0s"), (3600, "1h")],
)
def test_durations_print_as_prometheus_reads_them(seconds: float, text: str) -> None:
    assert prom_duration(seconds) == text


def test_scaled_durations_are_whole_ms_and_floors_are_warned() -> None:
    scaler = Scaler(60)
    assert scaler.wall(15, "alerting.scrape_interval", "scrape_interval") == 0.25
    assert scaler.wall(0.01, "x") == 0.001  # never rounded down to zero
    assert not scaler.warnings
    fast = Scaler(600)
    assert fast.wall(15, "alerting.scrape_interval", "scrape_interval") == 0.1
    (warning,) = fast.warnings
    assert warning.startswith("alerting.scrape_interval: 15s at 600x is 25 ms")
    assert "using 100ms (60 s of scenario time)" in warning


@pytest.mark.parametrize(
    ("expr", "scaled"),
    [
        ("sum(increase(x_total[1m])) >= 3", "sum(increase(x_total[1s])) >= 3"),
        ("rate(x[5m] offset 1h) > 0", "rate(x[5s] offset 1m) > 0"),
        ("max_over_time(rate(x[2m])[10m:30s])", "max_over_time(rate(x[2s])[10s:500ms])"),
        ("rate(x[ 90s ])", "rate(x[1s500ms])"),
        ("rate(x[5m:])", "rate(x[5s:])"),
        (
            "count_over_time(x{path=\"[1m]\", a='offset 5m'}[1m])",
            "count_over_time(x{path=\"[1m]\", a='offset 5m'}[1s])",
        ),
        ("x offset -2m", "x offset -2s"),
        (
            "histogram_quantile(0.95, sum by (le) (rate(b_bucket[1m]))) > 20",
            "histogram_quantile(0.95, sum by (le) (rate(b_bucket[1s]))) > 20",
        ),
    ],
)
def test_range_subquery_and_offset_durations_scale_and_nothing_else(expr: str, scaled: str) -> None:
    assert scale_expr(expr, 60) == scaled


def test_rules_keep_expressions_and_thresholds_and_scale_their_durations() -> None:
    doc = {
        "groups": [
            {
                "name": "g",
                "interval": "30s",
                "rules": [
                    {
                        "alert": "A",
                        "expr": "sum(increase(x[1m])) >= 3",
                        "for": "1m",
                        "keep_firing_for": "2m",
                        "labels": {"severity": "critical"},
                        "annotations": {"summary": "{{ $value }} in the last minute"},
                    }
                ],
            }
        ]
    }
    scaler = Scaler(60)
    out = scale_rules(doc, scaler, scrape_wall_s=0.25)
    rule = out["groups"][0]["rules"][0]
    assert out["groups"][0]["interval"] == "500ms"
    assert (rule["for"], rule["keep_firing_for"]) == ("1s", "2s")
    assert rule["expr"] == "sum(increase(x[1s])) >= 3"
    assert rule["labels"] == {"severity": "critical"}
    assert rule["annotations"] == {"summary": "{{ $value }} in the last minute"}
    assert doc["groups"][0]["rules"][0]["for"] == "1m"  # the original is left as it was
    assert not scaler.warnings
    scale_rules(doc, scaler, scrape_wall_s=0.6)  # a 1 s range over scrapes 600 ms apart
    assert "holds fewer than two scrapes" in scaler.warnings[0]


def test_the_seed_scenario_config_in_wall_time(tmp_path: Path) -> None:
    scenario = load_scenario(SEED)
    config = EngineConfig.build(scenario.alerting, scenario.time_scale)
    assert (config.scrape_s, config.eval_s, config.resend_delay_s) == (0.25, 0.5, 1.0)
    assert config.route == {
        "group_by": ["alertname"],
        "group_wait": "500ms",
        "group_interval": "5s",
        "repeat_interval": "4m",
    }
    assert config.warnings == []
    folder = config.write(tmp_path, "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "http://h:4")
    original = yaml.safe_load((folder / "rules.yml").read_text())
    assert original["groups"][0]["rules"] == scenario.alerting.rules
    prom = yaml.safe_load((folder / "prometheus.yml").read_text())
    assert prom["global"] == {
        "scrape_interval": "250ms",
        "scrape_timeout": "250ms",
        "evaluation_interval": "500ms",
    }
    assert [job["job_name"] for job in prom["scrape_configs"]] == ["pizza-service", "diners"]
    service = prom["scrape_configs"][0]
    assert (service["scheme"], service["metrics_path"]) == ("http", "/metrics")

    am = yaml.safe_load((folder / "alertmanager.yml").read_text())
    state, pager = am["route"]["routes"]
    assert state["group_wait"] == "0s" and state["continue"] is True
    assert pager == {"receiver": "harness-pager"}  # inherits the scenario's policy
    assert "WARNING" not in (folder / "scaling.txt").read_text()


def test_a_service_url_with_https_and_a_path_is_scraped_there() -> None:
    assert scrape_target("https://pizza.example.com/app/") == {
        "scheme": "https",
        "metrics_path": "/app/metrics",
        "static_configs": [{"targets": ["pizza.example.com"]}],
    }


def test_a_scale_past_the_floors_says_which_fields_and_what_was_used() -> None:
    scenario = load_scenario(SEED, time_scale=600)
    config = EngineConfig.build(scenario.alerting, scenario.time_scale)
    assert (config.scrape_s, config.eval_s) == (0.1, 0.1)
    fields = [w.split(":")[0] for w in config.warnings]
    assert fields[:2] == ["alerting.scrape_interval", "alerting.evaluation_interval"]
    assert "WARNING alerting.scrape_interval" in config.describe()


@pytest.mark.slow
@pytest.mark.skipif(not shutil.which("promtool"), reason="promtool (Debian prometheus) missing")
@pytest.mark.parametrize("name", ["seed-incident", "throttle", "badjwt", "noisy-baseline"])
def test_generated_files_pass_promtool_and_amtool(name: str, tmp_path: Path) -> None:
    scenario = load_scenario(Path(f"scenarios/{name}.yaml"))
    config = EngineConfig.build(scenario.alerting, scenario.time_scale)
    folder = config.write(tmp_path, "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3", "http://h:4")
    for argv in (
        ["promtool", "check", "config", str(folder / "prometheus.yml")],
        ["promtool", "check", "rules", str(folder / "rules.yml")],
        ["amtool", "check-config", str(folder / "alertmanager.yml")],
    ):
        if shutil.which(argv[0]):
            done = subprocess.run(argv, capture_output=True, text=True)
            assert done.returncode == 0, done.stdout + done.stderr


def test_scenario_backend_field_and_override() -> None:
    assert load_scenario(SEED).alerting.backend == "builtin"
    backend = {"alerting__backend": "prometheus"}  # what --alerting prometheus passes
    assert load_scenario(SEED, overrides=backend).alerting.backend == "prometheus"
    with pytest.raises(ScenarioError, match=r"alerting\.backend"):
        load_scenario(SEED, overrides={"alerting__backend": "grafana"})


def firing_payload(status: str = "firing", ends: str = "0001-01-01T00:00:00Z") -> dict[str, Any]:
    labels = {"alertname": "PizzaCreationFailures", "severity": "critical"}
    return {
        "version": "4",
        "groupKey": '{}/{}:{alertname="PizzaCreationFailures"}',
        "status": status,
        "receiver": "harness-state",
        "groupLabels": {"alertname": "PizzaCreationFailures"},
        "alerts": [
            {
                "status": status,
                "labels": labels,
                "annotations": {},
                "startsAt": "2026-03-02T15:03:20.5Z",  # T0 + 200.5 s
                "endsAt": ends,
                "fingerprint": "5f2c7a91d04b3e18",
            }
        ],
    }


def test_payloads_parse_and_bad_ones_are_refused() -> None:
    message = parse_payload(firing_payload())
    (alert,) = message.alerts
    assert (alert.starts_at, alert.ends_at, alert.alertname) == (
        T0 + 200.5,
        None,
        "PizzaCreationFailures",
    )
    assert message.reason == ""  # Alertmanager 0.25 sends no notification_reason
    resolved = parse_payload(firing_payload("resolved", "2026-03-02T15:03:30.123456789Z"))
    assert resolved.alerts[0].ends_at == pytest.approx(T0 + 210.123456)
    for bad in ({"version": "1"}, {**firing_payload(), "status": "odd"}, []):
        with pytest.raises(PayloadError):
            parse_payload(bad)


@pytest.fixture
def watch(tmp_path: Path) -> PrometheusWatch:
    scenario = load_scenario(SEED)
    timeline = Timeline(tmp_path / "timeline.jsonl", scenario.time_scale, t0=T0)
    return PrometheusWatch(scenario, timeline, Receiver(tmp_path))


def api_alert(state: str, active: str = "2026-03-02T15:03:19.5Z") -> dict[str, Any]:
    labels = {"alertname": "PizzaCreationFailures", "severity": "critical"}
    return {"labels": labels, "state": state, "activeAt": active, "value": "3e+00"}


def test_pending_firing_resolved_and_notified_at_the_engines_own_times(
    watch: PrometheusWatch,
) -> None:
    (pending,) = watch.seen_in_api([api_alert("pending")], st=999)
    assert pending[0] == pytest.approx(199.5 * 60)  # activeAt, in scenario seconds
    assert (pending[1].state_to, pending[1].value) == ("pending", 3.0)
    assert watch.seen_in_api([api_alert("firing")], st=999) == []  # the same episode
    (firing,) = watch.webhook("state", firing_payload(), arrived=T0 + 201)
    assert firing[0] == pytest.approx(200.5 * 60) and firing[1].state_to == "firing"
    assert watch.summary() == "firing"
    assert watch.webhook("state", firing_payload(), arrived=T0 + 202) == []  # a repeat
    (note,) = watch.webhook("pager", firing_payload(), arrived=T0 + 201.5)
    assert note[0] == pytest.approx(201.5 * 60)
    assert (note[1].who, note[1].status, note[1].alerts) == (
        "Lee Jensen",
        "firing",
        ["PizzaCreationFailures"],
    )
    assert watch.seen_in_api([], st=999) == []  # firing alerts resolve through the webhook
    resolved = firing_payload("resolved", "2026-03-02T15:03:30Z")
    (done,) = watch.webhook("state", resolved, arrived=T0 + 212)
    assert done[0] == pytest.approx(210 * 60) and done[1].state_from == "firing"
    assert done[1].state_to == "resolved" and watch.summary() == "inactive"


def test_a_pending_alert_that_goes_away_is_inactive_and_for_0_still_has_a_pending(
    watch: PrometheusWatch,
) -> None:
    watch.seen_in_api([api_alert("pending")], st=10)
    (gone,) = watch.seen_in_api([], st=12345)
    assert (gone[0], gone[1].state_from, gone[1].state_to) == (12345, "pending", "inactive")
    events = watch.webhook("state", firing_payload(), arrived=T0 + 201)  # never seen pending
    assert [e.state_to for _, e in events] == ["pending", "firing"]
    assert events[0][0] == events[1][0] == pytest.approx(200.5 * 60)


def test_the_receiver_serves_diner_counts_and_queues_webhooks(tmp_path: Path) -> None:
    with ProcessGroup() as group:
        receiver = Receiver(tmp_path)
        group.start(receiver)
        diners = DinerSeries()
        for outcome, latency in [("ok", 0.4), ("ok", 12.0), ("bad_pizza", 0.3), ("error", None)]:
            diners.observe(outcome, latency)
        receiver.set_diners(diners)
        text = httpx.get(f"{receiver.url}/metrics").text
        assert 'diner_orders_total{outcome="bad_pizza"} 1.0' in text
        assert "# TYPE diner_orders_total counter" in text
        assert 'diner_order_latency_seconds_bucket{le="0.5"} 2.0' in text
        assert 'diner_order_latency_seconds_bucket{le="20.0"} 3.0' in text
        assert "diner_order_latency_seconds_count 3.0" in text
        payload = firing_payload()
        assert httpx.post(f"{receiver.url}/alertmanager/pager", json=payload).status_code == 200
        assert httpx.post(f"{receiver.url}/alertmanager/state", content=b"{").status_code == 400
        ((route, body, _),) = receiver.drain()
        assert (route, body) == ("pager", payload)
        assert receiver.alive()
    assert not receiver.alive()


def test_missing_binaries_say_how_to_install_them_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ServerError) as caught:
        find_binary("prometheus-alertmanager", "alertmanager")
    assert "apt-get install prometheus prometheus-alertmanager" in str(caught.value)
    assert "make test" in str(caught.value)
    group = ProcessGroup()
    scenario = load_scenario(SEED, overrides={"alerting__backend": "prometheus"})
    timeline = Timeline(tmp_path / "timeline.jsonl", 60)
    with pytest.raises(ServerError, match="`prometheus` binary"):
        PrometheusWatch.start(scenario, tmp_path, "http://127.0.0.1:1", timeline, group)
    assert group.members == []


def _differential_run(backend: str, firing: float, affected: tuple[float, ...]) -> Run:
    return Run(backend, 0, "", Path("."), firing, affected[0], affected)


def test_the_differential_compares_delays_from_each_runs_own_onset() -> None:
    # CI's seed-incident pair: the same engines, but Prometheus's run had its third failed
    # order 15.5 s earlier; fired 49.6 s apart, 34.1 s apart counted from the onsets.
    # (chaos_st is the first affected order here, 0.1 s off the run's own chaos event)
    builtin = _differential_run("builtin", 240.0, (121.0, 131.7, 142.4, 149.4))
    prom = _differential_run("prometheus", 190.4, (121.8, 124.0, 126.9, 144.3))
    assert builtin.onset(3) == 142.4 and prom.onset(3) == 126.9
    assert agree(builtin, prom, 45.0, orders=3)
    assert not agree(builtin, prom, 45.0, orders=1)  # from the first failure: 50.4 s apart
    assert "+97.6 s after onset 142.4 s" in table([(SEED, builtin, prom)])
    assert "| -34.1 s | 45 s |" in table([(SEED, builtin, prom)])


def test_the_differential_fails_a_run_without_its_onset_or_one_that_never_fired() -> None:
    fired = _differential_run("builtin", 200.0, (121.0, 130.0, 140.0))
    too_few = _differential_run("prometheus", 190.0, (121.0, 125.0))
    silent = Run("prometheus", 1, "", Path("."), None, 121.0, (121.0, 125.0, 130.0))
    assert not agree(fired, too_few, 45.0, orders=3)
    assert not agree(fired, silent, 45.0, orders=3)
    assert agree(silent, silent, 45.0, orders=3)
    assert onset_orders(SEED) == 3 and onset_orders(Path("scenarios/badjwt.yaml")) == 1

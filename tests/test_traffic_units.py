"""Traffic's locust-free parts in-process: config validation, the events file and its live tail,
outcome classification, pizza verification, report-URL search and the accounting check.

Nothing here imports locust (it would monkey-patch this pytest process: locust-pitfalls 18);
the real runs are in test_traffic_run.py, in subprocesses.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.errors import ConfigError, ExitCode
from harness.factory.keys import PizzaSigner, load_or_create_key
from harness.traffic.command import locust_argv, locust_env
from harness.traffic.config import STOP_SIGNAL, TrafficConfig
from harness.traffic.events import EventsError, OrderEvent, read_events, tail_events
from harness.traffic.ledger import Ledger, accounting_problems
from harness.traffic.outcomes import Classification, classify, find_report_url, is_timeout
from harness.traffic.pizza import PizzaCheck, PizzaVerifier
from harness.traffic.supervise import Supervisor

REPORT = "http://127.0.0.1:8090/api/support/KEY/report/abc123"


def base_config(tmp: Path, **overrides: Any) -> dict[str, Any]:
    return {
        "service_url": "http://127.0.0.1:8091",
        "jwks_url": "http://localhost:8090/.well-known/jwks.json",
        "events_path": str(tmp / "events.jsonl"),
        "summary_path": str(tmp / "summary.json"),
        "locust_prefix": str(tmp / "locust"),
        "diners": 3,
        "run_time_s": 2.5,
        **overrides,
    }


# Config -----------------------------------------------------------------------------------------


def test_a_minimal_config_gets_the_documented_defaults(tmp_path: Path) -> None:
    config = TrafficConfig.from_data(base_config(tmp_path))
    assert config.journey.weights() == {"order": 8, "history": 1, "menu": 1}
    assert config.pizzas_per_order == (1, 3)
    assert config.report_fields is None and config.allow_remote is False
    assert config.order_budget == 150  # diners * run_time_s * 20
    assert config.stop_grace_s == config.order_timeout_s + config.request_timeout_s + 2
    assert config.json_report_path == tmp_path / "locust.json"  # not locust.json.json
    assert config.html_path == tmp_path / "locust.html"


def test_relative_paths_mean_one_place_whatever_folder_locust_runs_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Locust runs in an empty folder of its own: a relative events path once sent the bench's
    # orders to a file nobody read (0 orders seen in 165 s, exit 3).
    monkeypatch.chdir(tmp_path)
    relative = {"events_path": "run/orders.jsonl", "summary_path": "run/s.json"}
    built = TrafficConfig.from_data(base_config(tmp_path, locust_prefix="run/locust", **relative))
    assert built.events_path == Path.cwd() / "run" / "orders.jsonl"
    assert built.locust_prefix == Path.cwd() / "run" / "locust"
    hand = tmp_path / "cfg" / "traffic.json"
    hand.parent.mkdir()
    hand.write_text(json.dumps(base_config(tmp_path, **relative)))
    monkeypatch.chdir(hand.parent.parent.parent)
    assert TrafficConfig.load(hand).events_path == hand.parent.absolute() / "run" / "orders.jsonl"


def test_master_and_worker_agree_on_a_config_that_writes_elsewhere(tmp_path: Path) -> None:
    here = TrafficConfig.from_data(base_config(tmp_path))
    there = TrafficConfig.from_data(base_config(tmp_path / "other-machine"))
    assert here.fingerprint_json() == there.fingerprint_json()
    more = TrafficConfig.from_data(base_config(tmp_path, diners=4))
    assert more.fingerprint_json() != here.fingerprint_json()


def test_write_and_load_round_trip(tmp_path: Path) -> None:
    config = TrafficConfig.from_data(base_config(tmp_path, seed=5, think_time_s=[0.1, 0.2]))
    path = config.write(tmp_path / "cfg" / "traffic.json")
    assert TrafficConfig.load(path) == config


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"diners": 0}, "diners", "greater than or equal to 1"),
        ({"run_time_s": -1}, "run_time_s", "greater than 0"),
        ({"think_time_s": [2, 1]}, "think_time_s", "0 <= min <= max"),
        ({"pizzas_per_order": [1, 21]}, "pizzas_per_order", "20"),
        ({"journey": {"order": 0, "history": 0, "menu": 0}}, "journey", "at least one"),
        ({"journey": {"ordr": 3}}, "journey.ordr", "Extra inputs"),
        ({"spawn_rate": "fast"}, "spawn_rate", "valid number"),
        ({"service_url": "ftp://127.0.0.1/"}, "service_url", "http(s) URL"),
        ({"service_url": "http://pizza.example.com"}, "service_url", "allow_remote"),
        ({"jwks_url": "http://10.0.0.5/.well-known/jwks.json"}, "jwks_url", "loopback"),
        ({"users": 3}, "users", "Extra inputs"),
    ],
)
def test_bad_configs_name_the_file_and_the_field(
    tmp_path: Path, overrides: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        TrafficConfig.from_data(base_config(tmp_path, **overrides), source="cfg.json")
    assert caught.value.field == f"cfg.json: {field}"
    assert words in str(caught.value)
    assert caught.value.exit_code == ExitCode.USAGE_ERROR


def test_remote_hosts_need_allow_remote(tmp_path: Path) -> None:
    remote = {"service_url": "https://pizza.example.com", "allow_remote": True}
    assert TrafficConfig.from_data(base_config(tmp_path, **remote)).allow_remote
    ipv6 = TrafficConfig.from_data(base_config(tmp_path, service_url="http://[::1]:8091"))
    assert ipv6.service_url == "http://[::1]:8091"


def test_several_bad_fields_are_all_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        TrafficConfig.from_data(base_config(tmp_path, diners=0, seed="x"), source="cfg.json")
    assert "diners:" in str(caught.value) and "seed:" in str(caught.value)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        TrafficConfig.load(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"diners": 3,\n  oops}')
    with pytest.raises(ConfigError, match=r"broken.json:2:3: not valid JSON"):
        TrafficConfig.load(broken)


def test_locust_is_started_hermetically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = TrafficConfig.from_data(base_config(tmp_path, run_time_s=2.5))
    argv = locust_argv(config)
    assert argv[1:3] == ["-m", "locust"] and "--headless" in argv
    assert "--run-time" not in argv  # whole seconds only: the locustfile stops at 2.5 s
    assert argv[argv.index("--json-file") + 1] == str(tmp_path / "locust")  # pitfall 11
    assert argv[argv.index("--stop-timeout") + 1] == "17"
    monkeypatch.setenv("LOCUST_USERS", "500")
    monkeypatch.delenv("GEVENT_RESOLVER", raising=False)
    env = locust_env(tmp_path / "cfg.json", tmp_path, config)
    assert not any(key.startswith("LOCUST_") for key in env)
    assert env["HOME"] == str(tmp_path)
    assert env["GEVENT_RESOLVER"] == "block"  # 127.0.0.1 and localhost need no DNS


@pytest.mark.parametrize(
    ("service_url", "resolver"),
    [
        ("http://[::1]:8091", "block"),
        ("http://10.0.0.7:8091", "block"),
        ("http://pizza.example.org:8091", None),
    ],
)
def test_the_blocking_resolver_only_where_no_name_server_is_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, service_url: str, resolver: str | None
) -> None:
    monkeypatch.delenv("GEVENT_RESOLVER", raising=False)
    config = TrafficConfig.from_data(
        base_config(tmp_path, service_url=service_url, allow_remote=True)
    )
    assert locust_env(tmp_path / "cfg.json", tmp_path, config).get("GEVENT_RESOLVER") == resolver
    monkeypatch.setenv("GEVENT_RESOLVER", "ares")  # the user's own choice stands
    assert locust_env(tmp_path / "cfg.json", tmp_path, config)["GEVENT_RESOLVER"] == "ares"


# Events -----------------------------------------------------------------------------------------


def event(outcome: str = "ok", **fields: Any) -> OrderEvent:
    settings: dict[str, Any] = {
        "diner": "d@example.com",
        "start": 100.0,
        "end": 100.25,
        "outcome": outcome,
        "status": 200,
    }
    return OrderEvent(**{**settings, **fields})


def test_tail_events_returns_complete_lines_only(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    assert tail_events(path, 0) == ([], 0)  # not written yet
    first, second = event().line(), event("failed", status=500, report_url=REPORT).line()
    path.write_text(first + second[:20])  # the second line is half written
    events, offset = tail_events(path, 0)
    assert events == [event()] and offset == len(first)
    assert tail_events(path, offset) == ([], offset)  # still half written: left for later
    with open(path, "a") as handle:
        handle.write(second[20:])
    events, offset = tail_events(path, offset)
    assert [e.outcome for e in events] == ["failed"] and events[0].report_url == REPORT
    assert offset == len(first) + len(second) == path.stat().st_size


def test_tail_events_skips_other_kinds_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text('{"kind": "note", "text": "hi"}\n\n' + event("slow").line())
    assert [e.outcome for e in read_events(path)] == ["slow"]


def test_a_malformed_line_is_an_error_naming_the_offset(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(event().line() + '{"kind": "order", "outcome": "great"}\n')
    with pytest.raises(EventsError, match=r"events.jsonl: byte \d+"):
        tail_events(path, 0)


def test_the_event_line_format(tmp_path: Path) -> None:
    line = json.loads(event("failed", status=500, report_url=REPORT, detail="HTTP 500").line())
    assert list(line) == [
        "kind", "diner", "start", "end", "outcome", "status", "report_url", "detail",
    ]  # fmt: skip
    assert line["kind"] == "order" and line["status"] == 500


# Outcomes ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> PizzaSigner:
    return PizzaSigner(load_or_create_key(tmp_path_factory.mktemp("key") / "key.pem"))


@pytest.fixture(scope="module")
def verifier(signer: PizzaSigner) -> PizzaVerifier:
    return PizzaVerifier(signer.jwks())


def judge(verifier: PizzaVerifier, status: int | None, body: Any, **kw: Any) -> tuple[str, ...]:
    raw = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    settings: dict[str, Any] = {"error": None, "elapsed_s": 0.1, "slow_after_s": 1.0}
    verdict = classify(status=status, body=raw, verify=verifier.check, **{**settings, **kw})
    return verdict.outcome, verdict.detail, verdict.report_url or ""


def test_a_verified_pizza_is_ok_or_slow(signer: PizzaSigner, verifier: PizzaVerifier) -> None:
    pizza = {"order": {"id": 1}, "jwt": signer.sign({"order": {"id": 1}})}
    assert judge(verifier, 200, pizza)[0] == "ok"
    outcome, detail, _ = judge(verifier, 200, pizza, elapsed_s=1.5)
    assert outcome == "slow" and "1.500 s" in detail
    throttled = {**pizza, "reportSlowPizzaToFactoryUrl": REPORT}
    assert judge(verifier, 200, throttled, elapsed_s=1.5) == ("slow", detail, REPORT)


def test_bad_pizzas(signer: PizzaSigner, verifier: PizzaVerifier, tmp_path: Path) -> None:
    assert judge(verifier, 200, {"order": {}})[:2] == (
        "bad_pizza",
        "the answer carries no pizza jwt",
    )
    dead = {"jwt": signer.dead_jwt, "followLinkToEndChaos": REPORT}
    outcome, _, report = judge(verifier, 200, dead)
    assert (outcome, report) == ("bad_pizza", REPORT)
    forger = PizzaSigner(load_or_create_key(tmp_path / "other.pem"))
    outcome, detail, _ = judge(verifier, 200, {"jwt": forger.sign({"order": {}})})
    assert outcome == "bad_pizza" and "unknown key" in detail
    same_kid = forger.sign({"order": {}}).split(".")
    genuine = signer.sign({"order": {}}).split(".")
    spliced = ".".join([genuine[0], same_kid[1], same_kid[2]])  # our kid, their signature
    outcome, detail, _ = judge(verifier, 200, {"jwt": spliced})
    assert outcome == "bad_pizza" and "signature" in detail


def test_failed_orders_carry_the_report_url(verifier: PizzaVerifier) -> None:
    answer = {"message": "Failed to fulfill order at factory", "followLinkToEndChaos": REPORT}
    assert judge(verifier, 500, answer) == (
        "failed",
        "HTTP 500: Failed to fulfill order at factory",
        REPORT,
    )
    assert judge(verifier, 401, {"message": "unauthorized"})[:2] == (
        "failed",
        "HTTP 401: unauthorized",
    )
    assert (
        judge(verifier, 502, b"<html>bad gateway</html>")[1] == "HTTP 502: <html>bad gateway</html>"
    )


def test_no_usable_answer_is_an_error_or_a_timeout(verifier: PizzaVerifier) -> None:
    refused = ConnectionRefusedError(111, "Connection refused")
    assert judge(verifier, None, None, error=refused)[0] == "error"
    wrapped = RuntimeError("retries exceeded")
    wrapped.original = TimeoutError("timed out")  # type: ignore[attr-defined]
    assert is_timeout(wrapped)
    outcome, detail, _ = judge(verifier, None, None, error=wrapped, elapsed_s=3.0)
    assert (outcome, detail) == ("timed_out", "no answer after 3.000 s")
    assert judge(verifier, 200, b"not json")[0] == "error"
    assert judge(verifier, 200, [1, 2])[0] == "error"
    assert judge(verifier, 0, None)[0] == "error"


def test_locust_groups_every_timeout_under_one_failure_text() -> None:
    slow, slower = (
        Classification("timed_out", f"no answer after {s} s") for s in ("32.462", "35.195")
    )
    assert slow.failure == slower.failure == "no answer within the order timeout"
    refused = Classification("error", "no answer: ConnectionRefusedError")
    assert refused.failure == refused.detail
    assert Classification("bad_pizza", "").failure == "bad_pizza"


def test_no_jwks_means_error_not_bad_pizza(signer: PizzaSigner) -> None:
    pizza = json.dumps({"jwt": signer.sign({})}).encode()
    verdict = classify(
        status=200,
        body=pizza,
        error=None,
        elapsed_s=0.1,
        slow_after_s=1.0,
        verify=lambda token: PizzaCheck(None, "the factory's JWKS could not be read"),
    )
    assert verdict.outcome == "error" and "JWKS" in verdict.detail


def test_classify_never_raises(verifier: PizzaVerifier) -> None:
    def broken(token: str) -> PizzaCheck:
        raise KeyError("boom")

    verdict = classify(
        status=200, body=b'{"jwt": "x.y.z"}', error=None, elapsed_s=0, slow_after_s=1,
        verify=broken,
    )  # fmt: skip
    assert verdict.outcome == "error" and "could not classify" in verdict.detail


@pytest.mark.parametrize(
    ("answer", "fields", "found"),
    [
        ({"followLinkToEndChaos": REPORT}, None, REPORT),
        ({"reportPizzaCreationErrorToPizzaFactoryUrl": "https://f/x"}, None, "https://f/x"),
        ({"chaosLink": "http://f/end"}, None, "http://f/end"),
        # older factories' report URL is /api/report?apiKey=...&fixCode=... (factory-api.md)
        (
            {"nested": {"links": ["http://f/api/report?x=1", REPORT]}},
            None,
            "http://f/api/report?x=1",
        ),
        ({"nested": {"links": ["http://f/api/docs", REPORT]}}, None, REPORT),
        ({"message": "no link here", "docs": "http://f/docs"}, None, None),
        ({"reportUrl": "not a url"}, None, None),
        ({"mine": REPORT, "followLinkToEndChaos": "http://other"}, ["mine"], REPORT),
        ({"followLinkToEndChaos": REPORT}, ["mine"], None),
        ([REPORT], None, REPORT),
    ],
)
def test_find_report_url(answer: Any, fields: list[str] | None, found: str | None) -> None:
    assert find_report_url(answer, fields) == found


def test_pizza_verifier_refuses_a_jwks_without_keys() -> None:
    with pytest.raises(ValueError, match="keys"):
        PizzaVerifier({"nothing": []})
    with pytest.raises(ValueError, match="usable"):
        PizzaVerifier({"keys": [{"kty": "oct", "k": "abc"}]})


# Accounting -------------------------------------------------------------------------------------


def test_the_ledger_writes_one_line_per_attempt_and_keeps_to_its_budget(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "events.jsonl", budget=2)
    assert ledger.reserve() and ledger.reserve() and not ledger.reserve()
    ledger.record(event(), seen_by_locust=True)
    ledger.record(event("error", status=None), seen_by_locust=False)
    ledger.close()
    locust = {"requests": 5, "failures": 0, "order_requests": 1, "order_failures": 0}
    summary = ledger.summary(locust)
    assert summary["attempts"] == 2 and summary["unseen_by_locust"] == 1
    assert summary["outcomes"]["ok"] == 1 and summary["outcomes"]["error"] == 1
    assert "accounting_error" not in summary
    assert accounting_problems(summary, read_events(tmp_path / "events.jsonl")) == []


def test_accounting_problems_catch_every_disagreement() -> None:
    summary: dict[str, Any] = {
        "attempts": 3,
        "outcomes": {"ok": 2, "failed": 0, "bad_pizza": 0, "slow": 0, "timed_out": 0, "error": 0},
        "locust": {"requests": 9, "failures": 1, "order_requests": 2, "order_failures": 1},
        "lines_written": 2,
        "in_flight_at_end": 1,
    }
    problems = " | ".join(accounting_problems(summary, [event(), event("failed", status=500)]))
    assert "sum of outcomes 2" in problems
    assert "event lines written 2" in problems
    assert "never recorded" in problems
    assert "order lines in the events file 2" in problems
    assert "outcomes in the events file" in problems
    assert "Locust counted 2 order requests, expected 3" in problems


def supervisor(tmp_path: Path) -> Supervisor:
    config = TrafficConfig.from_data(base_config(tmp_path))
    return Supervisor(config, tmp_path / "cfg.json")


def test_the_supervisor_exits_3_when_the_file_and_the_summary_disagree(tmp_path: Path) -> None:
    sup = supervisor(tmp_path)
    (tmp_path / "events.jsonl").write_text(event().line())
    ledger_view = {
        "attempts": 2,
        "outcomes": {"ok": 2, "failed": 0, "bad_pizza": 0, "slow": 0, "timed_out": 0, "error": 0},
        "locust": {"requests": 2, "failures": 0, "order_requests": 2, "order_failures": 0},
        "unseen_by_locust": 0,
        "lines_written": 2,
    }
    (tmp_path / "summary.json").write_text(json.dumps(ledger_view))
    assert sup.finish(0, 0) == ExitCode.HARNESS_ERROR
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert "order lines in the events file 1" in summary["accounting_error"]
    assert summary["event_lines"] == 1


def test_the_supervisor_counts_only_this_runs_lines(tmp_path: Path) -> None:
    sup = supervisor(tmp_path)
    old = event("failed", status=500).line()
    (tmp_path / "events.jsonl").write_text(old + event().line())
    ledger_view = {
        "attempts": 1,
        "outcomes": {"ok": 1, "failed": 0, "bad_pizza": 0, "slow": 0, "timed_out": 0, "error": 0},
        "locust": {"requests": 1, "failures": 0, "order_requests": 1, "order_failures": 0},
    }
    (tmp_path / "summary.json").write_text(json.dumps(ledger_view))
    assert sup.finish(0, len(old)) == ExitCode.OK
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert "accounting_error" not in summary and summary["events_offset"] == len(old)


def test_a_locust_that_died_without_a_summary_is_an_accounting_error(tmp_path: Path) -> None:
    sup = supervisor(tmp_path)
    (tmp_path / "events.jsonl").write_text(event().line())
    assert sup.finish(-9, 0) == ExitCode.HARNESS_ERROR
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["attempts"] == 1 and "without writing its summary" in summary["accounting_error"]


def test_a_locust_stopped_before_any_diner_started_is_fine(tmp_path: Path) -> None:
    sup = supervisor(tmp_path)
    sup.stop_reason = "SIGTERM"
    assert (
        sup.finish(-int(STOP_SIGNAL), 0) == ExitCode.OK
    )  # SIGUSR1 arrived before the locustfile loaded
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["attempts"] == 0 and summary["outcomes"]["ok"] == 0

"""Selectors and time shifts, checked against Prometheus's documentation (querying/basics):
label matchers in RE2 syntax, fully anchored."""

from __future__ import annotations

import pytest

from harness.alerting import TSDB, compile_expr, evaluate
from harness.errors import ConfigError


def groups(db: TSDB, expr: str, t: float = 0.0) -> list[str]:
    value = evaluate(expr, db, t)
    assert isinstance(value, list)
    return sorted(dict(labels).get("group", "") for labels, _ in value)


@pytest.fixture
def requests() -> TSDB:
    db = TSDB()
    for group in ("production", "canary", "PROVING", "a\nb", "12", "١٢"):
        db.ingest("http_requests_total", {"group": group}, 1.0, 0)
    return db


def test_regexes_are_re2_with_flags_anywhere_as_prometheus_reads_them(requests: TSDB) -> None:
    # Prometheus: "All regular expressions in Prometheus use RE2 syntax". RE2 takes a flag group
    # in mid-pattern (Python's re refuses it); the match stays fully anchored.
    assert groups(requests, 'http_requests_total{group=~"((?i)PRO).*"}') == [
        "PROVING",
        "production",
    ]
    assert groups(requests, 'http_requests_total{group=~".*((?i)DUC).*"}') == ["production"]
    assert groups(requests, 'http_requests_total{group!~"(?i)pro.*"}') == [
        "12",
        "a\nb",
        "canary",
        "١٢",
    ]


def test_re2_classes_and_dot_are_go_s(requests: TSDB) -> None:
    assert groups(requests, r'http_requests_total{group=~"\\d+"}') == ["12"]  # ASCII digits only
    assert groups(requests, 'http_requests_total{group=~"a.b"}') == ["a\nb"]  # `.` matches \n


@pytest.mark.parametrize("regex", ["(a", r"(a)\\1", "(?=a)a", "a{2,1}", "(?x)a b"])
def test_a_regex_re2_refuses_is_refused_at_load_time_naming_it(regex: str) -> None:
    # Prometheus refuses these when it parses the rule (Go's regexp is RE2: no backreferences,
    # no lookaround, no `x` flag).
    with pytest.raises(ConfigError) as err:
        compile_expr(f'x{{a=~"{regex}"}}', "rules[0].expr")
    assert err.value.field == "rules[0].expr" and regex.replace("\\\\", "\\") in str(err.value)

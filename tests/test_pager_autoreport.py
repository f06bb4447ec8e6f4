"""The pager's acknowledgement and escalation, and the auto-reporter's choices, in fake time."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from harness.autoreport import AutoReporter, find_report_urls, outcome_of
from harness.pager import Pager
from harness.timeline import Acknowledged, Notified

FACTORY = "http://127.0.0.1:8090"
URL = f"{FACTORY}/api/support/KEY/report/abcd1234"


def firing(status: str = "firing") -> Notified:
    return Notified(group="g", status=status, alerts=["PizzaCreationFailures"], who="Lee")


def test_pager_acknowledges_after_the_delay_like_the_seed() -> None:
    pager = Pager("Lee Jensen", acknowledge_after=18.0, escalate_after=300.0)
    pager.notify(firing(), st=306.0)
    assert pager.due(323.9) == []
    [(at, event)] = pager.due(324.5)
    assert at == 324.0 and isinstance(event, Acknowledged) and event.who == "Lee Jensen"
    assert pager.due(1000.0) == []


def test_pager_escalates_while_nobody_acknowledges() -> None:
    pager = Pager("Lee", acknowledge_after=None, escalate_after=300.0)
    pager.notify(firing(), st=100.0)
    assert pager.due(399.0) == []
    [(at, page)] = pager.due(400.0)
    assert at == 400.0 and isinstance(page, Notified) and "escalation" in page.reason
    [(at, _)] = pager.due(700.0)
    assert at == 700.0 and pager.pages == [100.0, 400.0, 700.0]


def test_resolved_notifications_page_nobody() -> None:
    pager = Pager("Lee", acknowledge_after=1.0, escalate_after=300.0)
    pager.notify(firing("resolved"), st=10.0)
    assert pager.due(500.0) == [] and pager.paged_at is None


@pytest.mark.parametrize(
    "field",
    [
        "followLinkToEndChaos",
        "reportErrorToPizzaFactoryUrl",
        "reportPizzaCreationErrorToPizzaFactoryUrl",
        "reportSlowPizzaToFactoryUrl",
        "whatever",
    ],
)
def test_report_urls_are_found_whatever_the_field_is_called(field: str) -> None:
    answer = {
        "message": "Failed to fulfill order at factory",
        field: URL,
        "docs": "https://example.com/help",
    }
    assert find_report_urls(answer) == [URL]
    assert find_report_urls({"nested": [{"reportUrl": f"{FACTORY}/api/report?x=1"}]}) == [
        f"{FACTORY}/api/report?x=1"
    ]


def test_urls_on_other_hosts_are_refused_once_as_security_events() -> None:
    reporter = AutoReporter("firing", FACTORY, retries=3, backoff=1.0)
    evil = "https://evil.example/api/support/KEY/report/abcd1234"
    events = reporter.saw_urls([evil, URL, evil])
    assert [e.kind for e in events] == ["report_refused"] and events[0].url == evil
    assert reporter.urls == [URL] and reporter.saw_urls([evil]) == []


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (200, {"message": "Problem resolved. Pizza is back on the menu!"}, "resolved"),
        (200, {"message": "No chaos currently executing"}, "no_chaos"),
        (200, {"msg": "Chaos resolved"}, "resolved"),
        (400, {"message": "Problem unresolved"}, "unresolved"),
        (502, {"message": "bad gateway"}, "error"),
    ],
)
def test_report_answers(status: int, body: dict, outcome: str) -> None:
    assert outcome_of(status, body) == outcome


@pytest.mark.parametrize(
    ("trigger", "fires", "fails"),
    [("firing", True, False), ("first_failure", False, True), ("off", True, True)],
)
def test_triggers(trigger: str, fires: bool, fails: bool) -> None:
    reporter = AutoReporter(trigger, FACTORY, retries=3, backoff=1.0)
    reporter.saw_urls([URL])
    if fires:
        reporter.alert_fired()
    if fails:
        reporter.order_failed()
    assert reporter.wants_call(0.0) is (trigger != "off")


def call(reporter: AutoReporter, st: float):
    async def go():
        async with httpx.AsyncClient() as client:
            return await reporter.call(client, st)

    return asyncio.run(go())


@respx.mock
def test_a_failing_report_is_retried_with_backoff_then_resolves() -> None:
    route = respx.get(URL).mock(
        side_effect=[
            httpx.Response(502, json={"message": "bad gateway"}),
            httpx.Response(200, json={"message": "Problem resolved. Pizza is back on the menu!"}),
        ]
    )
    reporter = AutoReporter("firing", FACTORY, retries=3, backoff=2.0)
    reporter.saw_urls([URL])
    reporter.alert_fired()
    assert call(reporter, 10.0).outcome == "error"
    assert not reporter.wants_call(11.9) and reporter.wants_call(12.0)
    assert call(reporter, 12.0).outcome == "resolved"
    assert reporter.resolved and not reporter.wants_call(100.0) and route.call_count == 2


@respx.mock
def test_a_stale_fix_code_falls_back_to_an_older_url_and_no_chaos_counts_as_resolved() -> None:
    fresh = URL.replace("abcd1234", "zzzz9999")
    respx.get(fresh).mock(return_value=httpx.Response(400, json={"message": "Problem unresolved"}))
    respx.get(URL).mock(
        return_value=httpx.Response(200, json={"message": "No chaos currently executing"})
    )
    reporter = AutoReporter("firing", FACTORY, retries=3, backoff=0.0)
    reporter.saw_urls([URL, fresh])
    reporter.alert_fired()
    assert call(reporter, 0.0).outcome == "unresolved"
    assert call(reporter, 0.0).outcome == "no_chaos" and reporter.resolved


@respx.mock
def test_the_reporter_gives_up_after_its_retries() -> None:
    respx.get(URL).mock(side_effect=httpx.ConnectError("refused"))
    reporter = AutoReporter("firing", FACTORY, retries=1, backoff=0.0)
    reporter.saw_urls([URL])
    reporter.alert_fired()
    assert call(reporter, 0.0).outcome == "error" and call(reporter, 0.0).status is None
    assert not reporter.wants_call(1000.0)


def test_after_a_resolved_notification_the_next_incident_pages_again() -> None:
    pager = Pager("Lee", acknowledge_after=10.0, escalate_after=300.0)
    pager.notify(firing(), st=0.0)
    assert pager.due(10.0)  # acknowledged
    pager.notify(firing("resolved"), st=100.0)
    pager.notify(firing(), st=200.0)
    [(at, event)] = pager.due(210.0)
    assert at == 210.0 and isinstance(event, Acknowledged)


def test_a_200_saying_unresolved_is_not_a_resolution() -> None:
    assert outcome_of(200, {"message": "Problem unresolved"}) == "unresolved"


@respx.mock
def test_a_report_answer_that_is_json_but_not_an_object_is_an_error() -> None:
    respx.get(URL).mock(return_value=httpx.Response(200, json=["resolved"]))
    reporter = AutoReporter("firing", FACTORY, retries=3, backoff=0.0)
    reporter.saw_urls([URL])
    reporter.alert_fired()
    assert call(reporter, 0.0).outcome == "error" and not reporter.resolved

"""Finding the factory's report URL in a service's answer or log line, whatever the field is
called: its name changed across course years (reportErrorToPizzaFactoryUrl,
reportPizzaCreationErrorToPizzaFactoryUrl, reportSlowPizzaToFactoryUrl, followLinkToEndChaos),
and teams nest it as they like. Used by the diners (their order events) and the auto-reporter.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

HINTS = ("report", "chaos")
MAX_DEPTH = 8


def _is_url(value: object) -> bool:
    return isinstance(value, str) and value.startswith(("http://", "https://"))


def _walk(value: Any, key: str, depth: int) -> Iterator[str]:
    if depth > MAX_DEPTH:
        return
    if _is_url(value):
        named = any(hint in key.lower() for hint in HINTS)
        if named or "/report" in urlsplit(value).path:
            yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, str(k), depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, key, depth + 1)


def find_report_urls(value: Any) -> list[str]:
    """Every URL under a key naming report/chaos, or with `/report` in its path, depth first."""
    return list(_walk(value, "", 0))


def find_report_url(answer: Any, fields: Sequence[str] | None = None) -> str | None:
    """The first report URL; with `fields`, only those top-level keys are looked at, in order."""
    if fields is not None:
        if not isinstance(answer, dict):
            return None
        return next((str(answer[f]) for f in fields if _is_url(answer.get(f))), None)
    return next(_walk(answer, "", 0), None)

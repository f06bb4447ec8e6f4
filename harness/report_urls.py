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


LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})  # one machine's names for itself
MAX_URL = 8192


def on_factory(url: str, factory_url: str) -> str | None:
    """`url` moved onto the factory's own address when it names the factory, else None.

    The factory builds its report URL from the Host header the service sent, so a service whose
    factory.url says `localhost` gets `http://localhost:PORT/...`: the same factory as
    127.0.0.1 or [::1] on its port. Compared by address, never by text; and the URL we call
    is always the factory's own scheme, host and port with only the path and query kept from
    `url` (nothing in a crafted URL can send us elsewhere)."""
    if len(url) > MAX_URL or any(ord(c) < 0x21 or c == "\x7f" for c in url):
        return None  # control characters, spaces or a huge URL: not one the factory made
    try:
        ours, theirs = urlsplit(factory_url), urlsplit(url)
        port, our_port = theirs.port, ours.port
    except ValueError:
        return None
    if theirs.scheme not in ("http", "https") or theirs.username or theirs.password:
        return None
    if (port or _default_port(theirs.scheme)) != (our_port or _default_port(ours.scheme)):
        return None
    if not _same_host(theirs.hostname or "", ours.hostname or ""):
        return None
    query = f"?{theirs.query}" if theirs.query else ""
    return f"{ours.scheme}://{ours.netloc}{theirs.path or '/'}{query}"


def _same_host(theirs: str, ours: str) -> bool:
    theirs, ours = theirs.lower(), ours.lower()
    return theirs == ours or (theirs in LOOPBACK and ours in LOOPBACK)


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80

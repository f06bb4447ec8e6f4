"""Label matchers and regexes exactly as Prometheus reads them: RE2 syntax, fully anchored.

Prometheus compiles `=~`/`!~` values and label_replace's regex as `^(?s:<regex>)$` with Go's
regexp, which is RE2. google-re2 is the same engine, so a flag group in mid-pattern (`((?i)PRO).*`),
ASCII-only `\\d`/`\\w`, and the refusal of backreferences and lookaround all behave as there
(Python's `re` differs on each). `expand` is Go's Regexp.Expand, label_replace's `$1`/`${name}`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import re2

MEMO_LIMIT = 4096  # label values remembered per matcher (a RE2 call costs ~3 us from Python)
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the error is raised, not also printed to stderr
_NAME = re.compile(r"\{(\w+)\}|(\w+)")  # Go's template name: letters, digits, underscore


class RegexError(ValueError):
    """RE2 refuses the regex; the message is RE2's."""


def compile_anchored(pattern: str) -> Any:
    try:
        return re2.compile(f"^(?s:{pattern})$", _OPTIONS)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        text = detail.decode() if isinstance(detail, bytes) else str(detail)
        raise RegexError(f"RE2 refuses the regex {pattern!r}: {text}") from exc


@dataclass(frozen=True)
class Matcher:
    """One label matcher (`=`, `!=`, `=~`, `!~`); a missing label reads as ""."""

    name: str
    op: str
    value: str
    regex: Any = field(default=None, compare=False, repr=False)
    _memo: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def make(cls, name: str, op: str, value: str) -> Matcher:
        if op not in ("=", "!=", "=~", "!~"):
            raise ValueError(f"unknown matcher operator {op!r}")
        return cls(name, op, value, compile_anchored(value) if op in ("=~", "!~") else None)

    def matches(self, value: str) -> bool:
        if self.regex is None:
            return (value == self.value) == (self.op == "=")
        hit = self._memo.get(value)
        if hit is None:
            if len(self._memo) >= MEMO_LIMIT:
                self._memo.clear()
            hit = self._memo[value] = self.regex.search(value) is not None
        return hit == (self.op == "=~")


def expand(template: str, match: Any) -> str:
    """Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}`, `$$`; `$1x` means `${1x}`."""
    out: list[str] = []
    rest = template
    while (cut := rest.find("$")) >= 0:
        out.append(rest[:cut])
        rest = rest[cut + 1 :]
        if rest.startswith("$"):
            out.append("$")
            rest = rest[1:]
            continue
        m = _NAME.match(rest)
        if m is None:  # malformed: the `$` is kept as text
            out.append("$")
            continue
        out.append(_group(match, m[1] or m[2]))
        rest = rest[m.end() :]
    return "".join(out) + rest


def _group(match: Any, name: str) -> str:
    if name.isdigit() and name.isascii():
        index = -1 if name[0] == "0" and len(name) > 1 else int(name)
        if 0 <= index <= match.re.groups:
            return match.group(index) or ""
        return ""
    index = match.re.groupindex.get(name)
    return (match.group(index) or "") if index is not None else ""

"""Reading decimal integers out of text strangers send (headers, query strings, timestamps).

`str.isdigit()` is also true of '²' and '٣', which `int()` then refuses with a ValueError no
handler expects, and `int()` of 5,000 digits is refused too; `decimal` answers None for both."""

from __future__ import annotations


def decimal(text: str, *, signed: bool = False, max_digits: int = 19) -> int | None:
    """The integer `text` spells in ASCII digits (a leading '-' when `signed`), else None."""
    digits = text[1:] if signed and text.startswith("-") else text
    if not digits or len(digits) > max_digits or not (digits.isascii() and digits.isdigit()):
        return None
    return int(text)

"""Timestamps as the real factory writes them: JavaScript's `Date.toISOString()`."""

from __future__ import annotations

from datetime import UTC, datetime


def epoch_to_iso(epoch: float) -> str:
    """`2024-08-08T16:05:00.123Z`: UTC, millisecond precision, a `Z` suffix."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"

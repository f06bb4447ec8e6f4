"""Settings of one mock factory, and the `--chaos-start` policy: when armed chaos begins."""

from __future__ import annotations

import random
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from harness.errors import ConfigError

MOUNTAIN = ZoneInfo("America/Denver")
DEFAULT_ORDER_DELAY_MS = 32_000


@dataclass(frozen=True)
class ChaosStart:
    """When armed chaos begins: `tomorrow` (as the real factory), `now`, `after:S`, `window:A-B`."""

    kind: str
    min_s: float = 0.0
    max_s: float = 0.0
    at: datetime | None = None

    @classmethod
    def parse(cls, text: str, *, field_name: str = "--chaos-start") -> ChaosStart:
        text = text.strip()
        if text in ("tomorrow", "now"):
            return cls(text)
        if m := re.fullmatch(r"after:(\d+(?:\.\d+)?)", text):
            return cls("after", float(m[1]), float(m[1]))
        if m := re.fullmatch(r"window:(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)", text):
            low, high = float(m[1]), float(m[2])
            if high < low:
                raise ConfigError(
                    field_name,
                    f"window {text!r} ends before it starts",
                    fix="write window:MIN_S-MAX_S with MIN_S <= MAX_S",
                )
            return cls("window", low, high)
        try:
            at = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(
                field_name,
                f"{text!r} is not a chaos start",
                fix="use tomorrow, now, after:SECONDS, window:MIN_S-MAX_S or an ISO time",
            ) from None
        return cls("at", at=at if at.tzinfo else at.replace(tzinfo=UTC))

    def start_date(self, now: datetime, rng: random.Random) -> datetime:
        """The instant chaos armed at `now` begins."""
        if self.kind == "tomorrow":
            return _tomorrow_morning_mountain(now, rng)
        if self.kind == "at" and self.at is not None:
            return self.at
        return now + timedelta(seconds=rng.uniform(self.min_s, self.max_s))


def _tomorrow_morning_mountain(now: datetime, rng: random.Random) -> datetime:
    """The real factory: a random minute between 08:00 and 13:59 Mountain time the next day."""
    day = now.astimezone(MOUNTAIN).date() + timedelta(days=1)
    minute = rng.randrange(6 * 60)
    local = datetime(day.year, day.month, day.day, 8 + minute // 60, minute % 60, tzinfo=MOUNTAIN)
    return local.astimezone(UTC)


def new_vendor_key() -> str:
    """An API key shaped like the real factory's: a uuid4 without dashes (32 hex chars)."""
    return uuid.uuid4().hex


@dataclass
class FactoryConfig:
    """Everything one factory needs. `state_dir` holds the shared state and the signing key."""

    host: str = "127.0.0.1"
    port: int = 8090
    vendor_id: str = "pizza-vendor"
    vendor_name: str = "Pizza Vendor"
    vendor_key: str = field(default_factory=new_vendor_key)
    admin_token: str = field(default_factory=lambda: secrets.token_hex(16))
    chaos_start: ChaosStart = field(default_factory=lambda: ChaosStart("tomorrow"))
    order_delay_ms: int = DEFAULT_ORDER_DELAY_MS
    workers: int = 1
    state_dir: Path | None = None
    seed: int | None = None
    version: str = "mock-1.0"

    def validate(self) -> FactoryConfig:
        if not self.vendor_key or any(c.isspace() for c in self.vendor_key):
            raise ConfigError(
                "--vendor-key",
                "must be a non-empty string without spaces",
                fix="pass the key your service's factory.apiKey holds, or omit it",
            )
        if self.order_delay_ms < 0:
            raise ConfigError("--order-delay-ms", "must be 0 or more", fix="e.g. 32000")
        if not 1 <= self.workers <= 64:
            raise ConfigError("--workers", f"{self.workers} is out of range", fix="use 1 to 64")
        if not 0 <= self.port <= 65535:
            raise ConfigError("--port", f"{self.port} is not a TCP port")
        return self

"""The receivers' registry: each payload kind registers its name, its route paths, a pydantic
model of the payload (unknown fields allowed) and a function from the payload to signals.

Also what every receiver shares: RFC 3339 times (Go's zero time reads as "none") and turning a
body into a validated model, or a PayloadError whose reason names the field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from starlette.responses import Response

from harness import jsontext
from harness.ingest.body import field_errors
from harness.receivers.signals import Signal

ZERO_TIME_YEAR = 1  # Go's time.Time{} renders as 0001-01-01T00:00:00Z: "not set"


class Payload(BaseModel):
    """Base of every payload model: fields we do not know are kept, never refused."""

    model_config = ConfigDict(extra="allow")


def parse_time(value: Any) -> float | None:
    """An RFC 3339 time (nanoseconds allowed, Go's zero time is None) as epoch seconds."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"expected an RFC 3339 time string, got {type(value).__name__}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError(f"not an RFC 3339 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"RFC 3339 time without a zone offset: {value!r}")
    return None if parsed.year == ZERO_TIME_YEAR else parsed.timestamp()


Timestamp = Annotated[float | None, BeforeValidator(parse_time)]


class PayloadError(ValueError):
    """A payload the receiver refuses: `reason` for people, `errors` one per bad field."""

    def __init__(self, reason: str, errors: list[str] | None = None, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.errors = errors or [reason]
        self.status = status


Parse = Callable[[Any, float], list[Signal]]  # (validated payload, arrival epoch s) -> signals
Answer = Callable[[list[Signal]], Response]  # a receiver's own success answer
Refuse = Callable[[PayloadError], Response]  # a receiver's own refusal


@dataclass(frozen=True)
class Receiver:
    name: str
    paths: tuple[str, ...]
    model: type[BaseModel]
    parse: Parse
    describe: str  # one line for people: what posts here
    answer: Answer | None = None
    refuse: Refuse | None = None


RECEIVERS: dict[str, Receiver] = {}


def register(receiver: Receiver) -> Receiver:
    """Adds a receiver (once per name; a path belongs to one receiver)."""
    taken = {p for r in RECEIVERS.values() if r.name != receiver.name for p in r.paths}
    clash = taken.intersection(receiver.paths)
    if clash:
        raise ValueError(f"receiver {receiver.name}: path(s) {sorted(clash)} already registered")
    RECEIVERS[receiver.name] = receiver
    return receiver


def validate(model: type[BaseModel], data: Any) -> Any:
    """The payload as `model`, or PayloadError naming the first bad field (all in `errors`)."""
    if not isinstance(data, dict):
        raise PayloadError(f"body must be a JSON object, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = field_errors(exc)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise PayloadError(f"invalid payload: {errors[0]}{more}", errors) from None


def decode(receiver: Receiver, raw: bytes, received: float) -> list[Signal]:
    """Body bytes to signals, or PayloadError (bad JSON, wrong version, missing or bad field)."""
    try:
        data = jsontext.loads(raw)
    except ValueError as exc:
        raise PayloadError(f"body is not valid JSON: {exc}") from None
    return receiver.parse(validate(receiver.model, data), received)

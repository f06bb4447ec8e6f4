"""How much one run accepts from pushes: samples per push and distinct series per run, so one
push (or a slow stream of new label values) cannot stall the run loop or grow its memory without
end; and the parsing of pushes on a worker thread, one push at a time, off the run loop.

A push past a bound is refused whole (400, saying which bound and its size) and recorded as a
`receiver_rejected` event, as Grafana Cloud refuses a push past its series limit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from anyio import CapacityLimiter, to_thread

from harness.ingest.otlp import Sample

MAX_SAMPLES_PER_PUSH = 10_000
MAX_SERIES_PER_RUN = 20_000

T = TypeVar("T")


class BoundError(ValueError):
    """A push past one of the bounds; the message names it."""


def check_push_size(count: int, limit: int = MAX_SAMPLES_PER_PUSH) -> None:
    if count > limit:
        raise BoundError(
            f"more than {limit} samples in one push: push more often with fewer series"
        )


class SeriesBudget:
    """The distinct series (name and labels) pushes have created in this run."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = MAX_SERIES_PER_RUN if limit is None else limit
        self.known: set[int] = set()  # hashes: a collision only lets one series in for free

    def admit(self, samples: Iterable[Sample]) -> None:
        """Counts the push's new series in, or BoundError (nothing counted) past the limit."""
        keys = {hash((s.name, tuple(sorted(s.labels.items())))) for s in samples}
        new = keys - self.known
        if len(self.known) + len(new) > self.limit:
            raise BoundError(
                f"this push would make {len(self.known) + len(new)} distinct series in this "
                f"run, more than {self.limit}: drop high-cardinality labels (ids, timestamps)"
            )
        self.known |= new


class OffLoop:
    """Runs parsers on a worker thread, one at a time (a second push waits its turn): the run
    loop keeps evaluating while a big push is parsed, and only one is in memory at once."""

    def __init__(self) -> None:
        self.limiter: CapacityLimiter | None = None  # made in the serving loop, on first use

    async def __call__(self, parse: Callable[[], T]) -> T:
        if self.limiter is None:
            self.limiter = CapacityLimiter(1)
        value, error = await to_thread.run_sync(_caught, parse, limiter=self.limiter)
        if error is not None:
            raise error
        return value  # type: ignore[return-value]


def _caught(parse: Callable[[], T]) -> tuple[T | None, ValueError | None]:
    """The parse's value, or a copy of its refusal without a traceback: the original's frames
    hold the whole push, and crossing threads they are kept in a reference cycle until the
    next full collection (about 10 MB a refused 5 MB push)."""
    try:
        return parse(), None
    except ValueError as exc:
        refusal = exc.__class__.__new__(exc.__class__)
        refusal.args = exc.args
        refusal.__dict__.update(exc.__dict__)
        return None, refusal

"""The bench's `harness load` row: a short healthy ramp of Locust diners (the load test's own code,
fresh factory and service each round) whose capacity the bench divides by the service row's
orders/s of the same round. The two differ in who sends the orders: the bench's aiohttp generator
(~0.5 ms CPU an order) or Locust diners who also verify each pizza's RS256 JWT and log every
attempt, sharing the same 2 cores with the service and the factory."""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

from harness.bench.load import Sample
from harness.bench.targets import Measure
from harness.errors import ServerError
from harness.load.config import Load
from harness.load.ramp import Ramp
from harness.traffic.steps import StepPlan

DINERS = (32, 64)
"""The ramp's steps: 64 diners with no think time keep 64 orders in flight, as the service row."""


def load_measure(work: Path) -> Measure:
    load = Load()  # the defaults: no think time, one pizza an order, 2 factory workers

    def run(seconds: float) -> Sample:
        plan = StepPlan(start=DINERS[0], step=DINERS[1] - DINERS[0], max=DINERS[1], step_s=seconds)
        with tempfile.TemporaryDirectory(prefix="load-", dir=work) as tmp:
            ramp = Ramp("healthy", None, load, plan, Path(tmp) / "healthy", progress=_quiet)
            result = ramp.run()
        if result.status not in ("held", "broke"):
            raise ServerError(f"the harness load row failed: {result.detail}")
        not_ok = sum(s.orders - s.good for s in result.steps)
        return Sample(result.capacity, errors=Counter({"not ok orders": not_ok} if not_ok else {}))

    return Measure("load_healthy", run)


def _quiet(text: str) -> None:
    """The ramp's own step lines stay out of the bench's progress."""

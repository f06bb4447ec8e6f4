"""One worker process's view of the factory: its settings, the shared store, the key and the RNG."""

from __future__ import annotations

import random
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.factory.config import ChaosStart, FactoryConfig
from harness.factory.faults import FaultEngine, FaultSpec
from harness.factory.keys import PizzaSigner, load_or_create_key
from harness.factory.store import Chaos, FactoryStore, Snapshot

FIX_CODE_ALPHABET = string.digits + string.ascii_lowercase


def new_fix_code() -> str:
    """8 random base-36 characters, like the real factory's fixCode."""
    return "".join(secrets.choice(FIX_CODE_ALPHABET) for _ in range(8))


@dataclass
class FactoryRuntime:
    config: FactoryConfig
    store: FactoryStore
    signer: PizzaSigner
    faults: FaultEngine
    rng: random.Random

    @classmethod
    def open(cls, config: FactoryConfig, state_dir: Path) -> FactoryRuntime:
        state_dir.mkdir(parents=True, exist_ok=True)
        store = FactoryStore(state_dir / "factory.db")
        store.seed(config.vendor_id, config.vendor_name, config.vendor_key, config.order_delay_ms)
        signer = PizzaSigner(load_or_create_key(state_dir / "factory-key.pem"))
        rng = random.Random(config.seed)
        return cls(config, store, signer, FaultEngine(rng), rng)

    def snapshot(self) -> Snapshot:
        return self.store.snapshot()

    def arm(self, spec: FaultSpec, start: ChaosStart, *, by: str) -> Chaos:
        """A new chaos episode of a real chaos type, with a fresh fixCode."""
        start_at, end = self._span(spec, start)
        return self.store.arm_chaos(spec.wire(), new_fix_code(), start_at, by=by, end=end)

    def _span(self, spec: FaultSpec, policy: ChaosStart) -> tuple[float, float | None]:
        """When it starts under `policy` and, with `for`, when it ends (epoch seconds)."""
        start = policy.start_date(datetime.now(UTC), self.rng).timestamp()
        return start, None if spec.for_ is None else start + spec.for_

    def add_fault(self, spec: FaultSpec, start_policy: ChaosStart) -> dict[str, Any]:
        """An extra fault, acting from its start for `for` seconds (or until removed)."""
        spec = spec.model_copy(update={"name": spec.name or f"{spec.kind}-{secrets.token_hex(3)}"})
        start, end = self._span(spec, start_policy)
        stored = spec.wire()
        self.store.put_fault(spec.name, stored, start, end)
        return stored

"""A client of the mock factory's `/admin` control plane: `pizza_factory.chaos` in a team's
tests, and under the runner's FactoryControl (the one place that speaks this API)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import httpx

from harness.errors import ConfigError, HarnessError
from harness.factory.faults import FaultSpec


class ChaosControl:
    """Arm and clear chaos, add and remove extra faults, read the factory's ground truth.

    A call the factory refuses raises ConfigError naming the field (as the factory does).
    """

    def __init__(
        self, factory_url: str, admin_token: str, client: httpx.Client | None = None
    ) -> None:
        self.url = f"{factory_url}/admin"
        self.headers = {"authorization": f"Bearer {admin_token}"}
        self.client = client  # None: one connection a call (the runner's occasional calls)

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        url = f"{self.url}{path}"
        if self.client is None:
            answer = httpx.request(method, url, headers=self.headers, timeout=10, **kw)
        else:
            answer = self.client.request(method, url, headers=self.headers, **kw)
        if answer.status_code == 400:
            body = answer.json()
            raise ConfigError(body.get("field", "body"), body["message"], fix=body.get("fix"))
        if answer.is_error:
            raise HarnessError(f"{method} /admin{path}: {answer.status_code} {answer.text}")
        return answer.json()

    def arm(self, type: str = "fail", at: float | None = None) -> dict[str, Any]:
        """Arm `fail`, `throttle` or `badjwt`: now, or `at` seconds from now. Returns the chaos
        record (`type`, `fixCode`, `reportUrl`, `chaosDate`, ...)."""
        start = "now"
        if at is not None:
            start = datetime.fromtimestamp(time.time() + at, UTC).isoformat()
        chaos: dict[str, Any] = self._call("PUT", "/chaos", json={"type": type, "start": start})
        return chaos

    def arm_fault(self, spec: FaultSpec, start: datetime | None = None) -> dict[str, Any]:
        """Any fault, from `start` (else its `at`/`window`, seconds from now), `for` seconds: a
        real chaos type becomes the vendor's chaos episode (`PUT /admin/chaos`), any other kind
        an extra fault (`POST /admin/faults`)."""
        body = spec.wire()
        if start is not None:
            body.update(start=start.isoformat(), at=None, window=None)
        if spec.real:
            chaos: dict[str, Any] = self._call("PUT", "/chaos", json=body)
            return chaos
        fault: dict[str, Any] = self._call("POST", "/faults", json=body)
        return fault

    def clear(self) -> str:
        """End the chaos as the harness's rollback does (recorded as `chaos_cleared`)."""
        message: str = self._call("DELETE", "/chaos")["message"]
        return message

    def state(self) -> dict[str, Any]:
        """Vendor, chaos record (with fixCode and report URL), order delay and faults."""
        state: dict[str, Any] = self._call("GET", "/state")
        return state

    def add_fault(
        self,
        kind: str,
        *,
        name: str = "",
        probability: float = 1.0,
        paths: list[str] | None = None,
        **settings: Any,
    ) -> dict[str, Any]:
        """An extra fault (`latency`, `error`, `hang`, `reset`, `malformed`, `ratelimit`,
        `flap`); keyword arguments other than the common ones are the kind's settings."""
        spec: dict[str, Any] = {"kind": kind, "name": name, "probability": probability}
        spec["settings"] = settings
        if paths is not None:
            spec["paths"] = paths
        fault: dict[str, Any] = self._call("POST", "/faults", json=spec)
        return fault

    def remove_fault(self, name: str | None = None) -> int:
        """Remove the fault called `name`, or every fault; returns how many were removed."""
        removed: int = self._call("DELETE", f"/faults/{name}" if name else "/faults")["removed"]
        return removed

    def faults(self) -> list[dict[str, Any]]:
        faults: list[dict[str, Any]] = self._call("GET", "/faults")
        return faults

    def set_order_delay(self, ms: int) -> None:
        self._call("PUT", "/order-delay", json={"orderDelayMs": ms})

    def reports(self) -> list[dict[str, Any]]:
        """Every report-URL call: when, fixCode, status, outcome (`resolved`, ...), answer."""
        reports: list[dict[str, Any]] = self._call("GET", "/reports")
        return reports

    def transitions(self) -> list[dict[str, Any]]:
        """The ground truth, timestamped: `chaos_armed`, `chaos_started`, `chaos_resolved`..."""
        transitions: list[dict[str, Any]] = self._call("GET", "/transitions")
        return transitions

    def reset(self) -> None:
        """No chaos, no faults, the start-up order delay, empty records."""
        self._call("POST", "/reset")

"""The control plane the real factory lacks, under `/admin`, only with the admin token.

Arm or clear chaos (now, later, or in a random window), change the order delay, add and remove
extra faults, read every report call and state transition (each timestamped: the ground truth
of a run), and reset everything.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.errors import ConfigError
from harness.express import json_body, json_response, message
from harness.factory.api import report_url, runtime
from harness.factory.config import ChaosStart
from harness.factory.faults import KINDS, FaultSpec, build_fault, real_types
from harness.factory.faults.engine import StoredFault
from harness.factory.timefmt import epoch_to_iso


class Arming(FaultSpec):
    """A fault spec as the control plane takes it: `start` (a --chaos-start policy: now,
    after:S, window:A-B, an ISO time) or `at`/`window` (seconds from now) say when."""

    start: str | None = None

    def policy(self) -> ChaosStart:
        if self.start is not None and (self.at is not None or self.window is not None):
            raise ConfigError("start", "give `start` or `at`/`window`, not both")
        if self.start is not None:
            return ChaosStart.parse(self.start, field_name="start")
        if self.window is not None:
            return ChaosStart("window", *self.window)
        return ChaosStart("after", self.at or 0.0, self.at or 0.0)

    def spec(self) -> FaultSpec:
        return FaultSpec.model_validate(self.model_dump(exclude={"start"}))


class OrderDelay(BaseModel):
    model_config = ConfigDict(extra="forbid")
    orderDelayMs: int = Field(ge=0, le=3_600_000)


def _authorized(request: Request) -> bool:
    sent = request.headers.get("authorization", "")
    return secrets.compare_digest(
        sent.encode(), f"Bearer {runtime(request).config.admin_token}".encode()
    )


def _bad(field: str, text: str, fix: str = "") -> Response:
    return json_response({"message": f"{field}: {text}", "field": field, "fix": fix}, 400)


async def _parse(request: Request, model: type[BaseModel]) -> Any:
    return _validate(await json_body(request), model)


def _spec(body: Any, model: type[FaultSpec]) -> Any:
    """A fault spec; the kind's settings are checked first, to name the exact bad field."""
    if isinstance(body, dict) and isinstance(kind := body.get("kind", body.get("type")), str):
        build_fault(kind, body.get("settings") or {})
    return _validate(body, model)


def _validate(body: Any, model: type[BaseModel]) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ConfigError(".".join(str(p) for p in first["loc"]) or "body", first["msg"]) from None


def state_view(request: Request) -> dict[str, Any]:
    rt = runtime(request)
    snap = rt.snapshot()
    chaos = snap.vendor.chaos
    view: dict[str, Any] = {**chaos.public(), "fixCode": chaos.fix_code, "episode": chaos.episode}
    if chaos.first_affected is not None:
        view["firstAffectedDate"] = epoch_to_iso(chaos.first_affected)
    if chaos.type != "none":
        view["reportUrl"] = report_url(request, snap.vendor.api_key, chaos)
    return {
        "vendor": {"id": snap.vendor.id, "name": snap.vendor.name, "apiKey": snap.vendor.api_key},
        "chaos": view,
        "orderDelayMs": snap.order_delay_ms,
        "faults": [_fault_view(f) for f in snap.faults],
        "faultKinds": sorted(KINDS),
        "worker": os.getpid(),
    }


def _fault_view(fault: StoredFault) -> dict[str, Any]:
    view = {**fault.spec, "armedDate": epoch_to_iso(fault.armed)}
    view["startDate"] = epoch_to_iso(fault.start)
    if fault.end is not None:
        view["endDate"] = epoch_to_iso(fault.end)
    if fault.started is not None:
        view["firstAffectedDate"] = epoch_to_iso(fault.started)
    return view


async def get_state(request: Request) -> Response:
    return json_response(state_view(request))


async def arm_chaos(request: Request) -> Response:
    body = await json_body(request)
    if body.get("type", body.get("kind")) not in real_types():
        kind = body.get("type", body.get("kind"))
        fix = f"use one of {real_types()}; other kinds are extra faults: POST /admin/faults"
        return _bad("type", f"{kind!r} is not a chaos type", fix)
    arm = _spec(body, Arming)
    runtime(request).arm(arm.spec(), arm.policy(), by="admin")
    return json_response(state_view(request)["chaos"])


async def clear_chaos(request: Request) -> Response:
    outcome = runtime(request).store.end_chaos(event="chaos_cleared", by="admin")
    return message(
        "Chaos cleared" if outcome == "resolved" else "No chaos currently executing", 200
    )


async def set_order_delay(request: Request) -> Response:
    delay = await _parse(request, OrderDelay)
    runtime(request).store.set_order_delay(delay.orderDelayMs)
    return json_response({"orderDelayMs": delay.orderDelayMs})


async def list_faults(request: Request) -> Response:
    return json_response(state_view(request)["faults"])


async def add_fault(request: Request) -> Response:
    arm = _spec(await json_body(request), Arming)
    if arm.real:
        fix = "arm it as the factory's chaos episode: PUT /admin/chaos"
        return _bad("kind", f"{arm.kind} is a real chaos type, not an extra fault", fix)
    return json_response(runtime(request).add_fault(arm.spec(), arm.policy()), 201)


async def remove_fault(request: Request) -> Response:
    name = request.path_params.get("name")
    count = runtime(request).store.remove_faults(name)
    if name and not count:
        return message(f"no fault named {name!r}", 404)
    return json_response({"removed": count})


async def list_reports(request: Request) -> Response:
    return json_response(runtime(request).store.reports())


async def list_transitions(request: Request) -> Response:
    return json_response(runtime(request).store.transitions())


async def reset(request: Request) -> Response:
    rt = runtime(request)
    rt.store.reset(rt.config.order_delay_ms)
    return message("Factory reset", 200)


ADMIN_ROUTES = [
    Route("/state", get_state, methods=["GET"]),
    Route("/chaos", arm_chaos, methods=["PUT"]),
    Route("/chaos", clear_chaos, methods=["DELETE"]),
    Route("/order-delay", set_order_delay, methods=["PUT"]),
    Route("/faults", list_faults, methods=["GET"]),
    Route("/faults", add_fault, methods=["POST"]),
    Route("/faults", remove_fault, methods=["DELETE"]),
    Route("/faults/{name}", remove_fault, methods=["DELETE"]),
    Route("/reports", list_reports, methods=["GET"]),
    Route("/transitions", list_transitions, methods=["GET"]),
    Route("/reset", reset, methods=["POST"]),
]

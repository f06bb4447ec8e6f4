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
from harness.factory.api import CHAOS_TYPES, report_url, runtime
from harness.factory.config import ChaosStart
from harness.factory.faults import KINDS, FaultSpec, build_fault
from harness.factory.timefmt import epoch_to_iso


class ArmChaos(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: str
    start: str = "now"


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
    try:
        return model.model_validate(await json_body(request))
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
        "faults": [{**spec, "armedDate": epoch_to_iso(at)} for _, spec, at in snap.faults],
        "faultKinds": sorted(KINDS),
        "worker": os.getpid(),
    }


async def get_state(request: Request) -> Response:
    return json_response(state_view(request))


async def arm_chaos(request: Request) -> Response:
    arm = await _parse(request, ArmChaos)
    if arm.type not in CHAOS_TYPES:
        return _bad("type", f"{arm.type!r} is not a chaos type", f"use one of {CHAOS_TYPES}")
    start = ChaosStart.parse(arm.start, field_name="start")
    runtime(request).arm(arm.type, start, by="admin")
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
    spec = await _parse(request, FaultSpec)
    build_fault(spec.kind, spec.settings)  # refuse bad settings before storing them
    spec.name = spec.name or f"{spec.kind}-{secrets.token_hex(3)}"
    stored = spec.model_dump()
    runtime(request).store.put_fault(spec.name, stored)
    return json_response(stored, 201)


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

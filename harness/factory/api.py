"""The real factory's API (docs/factory-api.md), path for path and field for field."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.express import json_body, json_response, message
from harness.factory.docs import ENDPOINTS
from harness.factory.faults import Episode, FaultContext, FaultSpec, hits, real_types
from harness.factory.faults.spec import ORDER_PATH
from harness.factory.runtime import FactoryRuntime
from harness.factory.store import Chaos, Snapshot

BEARER = re.compile("bearer ", re.IGNORECASE)


def runtime(request: Request) -> FactoryRuntime:
    rt: FactoryRuntime = request.app.state.factory
    return rt


def api_key(request: Request) -> str:
    """Like the real vendorAuth: the first 'bearer ' (any case) is stripped, the rest is the key."""
    return BEARER.sub("", request.headers.get("authorization", ""), count=1)


def report_url(request: Request, key: str, chaos: Chaos) -> str:
    """The real factory's URL, on the mock's own scheme, host and port so following it works."""
    base = str(request.base_url).rstrip("/")
    return f"{base}/api/support/{key}/report/{chaos.fix_code}"


async def create_order(request: Request) -> Response:
    rt = runtime(request)
    state, now = rt.snapshot(), time.time()
    body = await json_body(request)
    key = api_key(request)
    if key != state.vendor.api_key:
        return message("invalid authentication", 401)
    chaos, url = state.vendor.chaos, None
    if chaos.expired(now):  # its `for` is up: recorded at its end instant
        rt.store.end_chaos(event="chaos_expired", by="timer", at=chaos.end)
    elif chaos.active(now) and hits(chaos.probability, [ORDER_PATH], request, rt.rng):
        if chaos.first_affected is None:  # one write per episode, not per order
            rt.store.mark_affected(chaos, now)
        url = report_url(request, key, chaos)
        episode = Episode(url, rt.signer.dead_jwt, state.order_delay_ms)
        fault = rt.faults.built(f"episode {chaos.episode}", 0.0, chaos.fault_spec)[1]
        answer = await fault.apply(FaultContext(request, chaos.start or now, now, rt.rng, episode))
        if answer is not None:
            return answer
    return await _make_pizza(rt, state, body, url)


async def _make_pizza(
    rt: FactoryRuntime, state: Snapshot, body: dict[str, Any], url: str | None
) -> Response:
    diner, order = body.get("diner"), body.get("order")
    if not diner or not order:
        return message("Missing required parameters", 400)
    items = order.get("items") if isinstance(order, dict) else None
    if not isinstance(items, list | str):
        # The real factory crashes on `order.items.length` and answers with the error's text.
        return message("Cannot read properties of undefined (reading 'length')", 500)
    if len(items) == 0 or len(items) > 20:
        await asyncio.sleep(state.order_delay_ms / 1000)
        return message("Unable to satisfy pizza order. The oven is full.", 503)
    payload = {
        "vendor": {"id": state.vendor.id, "name": state.vendor.name},
        "diner": diner,
        "order": order,
    }
    answer: dict[str, Any] = {"jwt": rt.signer.sign(payload)}
    if url is not None:
        answer["reportUrl"] = url
    return json_response(answer)


async def verify_order(request: Request) -> Response:
    body = await json_body(request)
    payload = runtime(request).signer.verify(body.get("jwt"))
    if payload is None:
        return message("invalid", 403)
    return json_response({"message": "valid", "payload": payload})


async def jwks(request: Request) -> Response:
    return json_response(runtime(request).signer.jwks())


async def docs(request: Request) -> Response:
    rt = runtime(request)
    return json_response(
        {
            "message": "welcome to JWT Pizza Factory",
            "version": rt.config.version,
            "endpoints": ENDPOINTS,
        }
    )


async def get_vendor(request: Request) -> Response:
    vendor = runtime(request).snapshot().vendor
    if api_key(request) != vendor.api_key:
        return message("invalid authentication", 401)
    record: dict[str, Any] = {
        "id": vendor.id,
        "name": vendor.name,
        "apiKey": vendor.api_key,
        "created": vendor.created,
    }
    if vendor.chaos.initiated is not None:
        record["chaos"] = vendor.chaos.public()
    return json_response(record)


async def initiate_chaos(request: Request) -> Response:
    rt = runtime(request)
    if api_key(request) != rt.snapshot().vendor.api_key:
        return message("invalid authentication", 401)
    chaos_type = request.path_params["type"]
    if chaos_type not in real_types():
        return message("Invalid chaos type", 400)
    rt.arm(FaultSpec(kind=chaos_type), rt.config.chaos_start, by="vendor")
    return message("Chaos initiated", 200)


REPORT_ANSWERS = {
    "resolved": (200, "Problem resolved. Pizza is back on the menu!"),
    "unresolved": (400, "Problem unresolved"),
    "no_chaos": (200, "No chaos currently executing"),
}


async def report(request: Request) -> Response:
    rt = runtime(request)
    key, fix_code = request.path_params["api_key"], request.path_params["fix_code"]
    vendor = rt.snapshot().vendor
    known = key == vendor.api_key
    outcome = "no_chaos"
    if known:
        outcome = rt.store.end_chaos(event="chaos_resolved", by="report", fix_code=fix_code)
    status, text = REPORT_ANSWERS[outcome]
    rt.store.record_report(fix_code, known, status, outcome, text)
    return message(text, status)


ROUTES = [
    Route("/api/order", create_order, methods=["POST"]),
    Route("/api/order/verify", verify_order, methods=["POST"]),
    Route("/.well-known/jwks.json", jwks, methods=["GET"]),
    Route("/api/docs", docs),
    Route("/api/vendor", get_vendor, methods=["GET"]),
    Route("/api/vendor/chaos/{type}", initiate_chaos, methods=["PUT"]),
    Route("/api/support/{api_key}/report/{fix_code}", report, methods=["GET"]),
]

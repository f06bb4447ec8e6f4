"""The menu and diner orders (`/api/order`), answering like the real service's orderRouter.

An order is stored BEFORE the factory is asked to make its pizzas, so a failed factory call still
leaves the diner's order row: "orders accepted" and "pizzas made" differ during an incident.
"""

from __future__ import annotations

import math
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.express import json_body, json_response, message
from harness.jsontext import INT64
from harness.numbers import decimal
from harness.service.auth import Diner
from harness.service.runtime import diner_required, runtime
from harness.service.store import OrderItem, PizzaStore

MAX_PRICE = 1e6  # bitcoin: far above any menu, far below a sum that overflows


class OrderError(Exception):
    """An order the real service would crash on (it answers 500 with the error's text)."""


def _integer(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise OrderError(f"{name} must be an integer")
    try:
        number = int(value)
    except ValueError:
        raise OrderError(f"{name} must be an integer") from None
    if not -INT64 <= number < INT64:  # SQLite's integers are 64-bit
        raise OrderError(f"{name} must be an integer that fits in 64 bits")
    return number


def _item(raw: Any) -> OrderItem:
    if not isinstance(raw, dict):
        raise OrderError("each order item must be an object with menuId, description and price")
    price = raw.get("price")
    if isinstance(price, bool) or not isinstance(price, int | float) or not math.isfinite(price):
        raise OrderError("item price must be a number")
    if abs(price) > MAX_PRICE:  # a sum of 1e308 prices would make revenue inf
        raise OrderError(f"item price must be at most {MAX_PRICE:g} (in bitcoin)")
    description = raw.get("description")
    if not isinstance(description, str):
        raise OrderError("item description must be a string")
    return OrderItem(_integer(raw.get("menuId"), "menuId"), description, float(price))


def read_order(body: dict[str, Any], store: PizzaStore) -> tuple[int, int, list[OrderItem]]:
    """franchiseId, storeId and the items of an order request, or OrderError."""
    raw_items = body.get("items")
    if not isinstance(raw_items, list):
        raise OrderError("order.items is not iterable")  # the real service's TypeError
    items = [_item(raw) for raw in raw_items]
    if items and store.unknown_menu_ids({i.menu_id for i in items}):
        raise OrderError("No ID found")  # the real service's message for an unknown menuId
    franchise_id = _integer(body.get("franchiseId"), "franchiseId")
    return franchise_id, _integer(body.get("storeId"), "storeId"), items


async def menu(request: Request) -> Response:
    return json_response(runtime(request).store.menu())


MAX_PAGE = 1_000_000  # keeps the OFFSET within SQLite's 64 bits


def _page(raw: str | None) -> int:
    page = decimal(raw, max_digits=4300) if raw is not None else None
    return 1 if page is None else min(max(page, 1), MAX_PAGE)


@diner_required
async def diner_orders(request: Request, diner: Diner) -> Response:
    """`page` is echoed as Express received it: the query's string, or 1 when absent."""
    raw = request.query_params.get("page")
    orders = runtime(request).store.orders(diner.id, _page(raw))
    return json_response({"dinerId": diner.id, "orders": orders, "page": 1 if raw is None else raw})


@diner_required
async def create_order(request: Request, diner: Diner) -> Response:
    rt = runtime(request)
    body = await json_body(request)
    try:
        franchise_id, store_id, items = read_order(body, rt.store)
    except OrderError as exc:
        return message(str(exc), 500)
    order_id, _ = rt.store.add_order(diner.id, franchise_id, store_id, items)
    rt.metrics.orders.inc()
    order = {**body, "id": order_id}  # like the real service: the request plus the new id
    call = await rt.factory_client().make_pizzas(diner.public(), order)
    rt.metrics.factory_call(call, [item.price for item in items])
    rt.log.factory(order_id, call)
    report = {rt.config.report_field: call.report_url}
    if not call.made:
        return message("Failed to fulfill order at factory", 500, **report)
    answer = {"order": order, **report, "jwt": call.jwt}
    return json_response({k: v for k, v in answer.items() if v is not None})


ROUTES = [
    Route("/api/order/menu", menu, methods=["GET"]),
    Route("/api/order", diner_orders, methods=["GET"]),
    Route("/api/order", create_order, methods=["POST"]),
]

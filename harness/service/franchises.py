"""`GET /api/franchise?page=0&limit=10&name=*`: one page of franchises with their stores, like the
real service's franchiseRouter (an admin caller also sees admins and each store's revenue)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.express import json_response
from harness.numbers import decimal
from harness.service.runtime import runtime

DEFAULT_LIMIT, MAX_LIMIT = 10, 1000


def _number(raw: str | None, default: int, low: int, high: int) -> int:
    number = decimal(raw, max_digits=4300) if raw is not None else None
    return default if number is None else min(max(number, low), high)


async def list_franchises(request: Request) -> Response:
    rt = runtime(request)
    query = request.query_params
    page = _number(query.get("page"), 0, 0, 1_000_000)
    limit = _number(query.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT)
    caller = rt.tokens.diner(request)
    admin = caller is not None and caller.is_admin()
    franchises, more = rt.store.franchises(page, limit, query.get("name", "*"), admin=admin)
    return json_response({"franchises": franchises, "more": more})


ROUTES = [Route("/api/franchise", list_franchises, methods=["GET"])]

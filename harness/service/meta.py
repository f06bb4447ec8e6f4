"""The service's own pages: `GET /` (welcome), `GET /api/docs` (endpoints and config) and
`GET /metrics` (Prometheus; the real service pushes to Grafana instead)."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.express import json_response
from harness.service.docs import ENDPOINTS
from harness.service.runtime import runtime


async def welcome(request: Request) -> Response:
    version = runtime(request).config.version
    return json_response({"message": "welcome to JWT Pizza", "version": version})


async def docs(request: Request) -> Response:
    config = runtime(request).config
    return json_response(
        {
            "version": config.version,
            "endpoints": ENDPOINTS,
            "config": {"factory": config.factory_url, "db": config.db},
        }
    )


async def metrics(request: Request) -> Response:
    return Response(runtime(request).metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


ROUTES = [
    Route("/", welcome, methods=["GET"]),
    Route("/api/docs", docs, methods=["GET"]),
    Route("/metrics", metrics, methods=["GET"]),
]

"""The service's one HTTP client to the pizza factory, and what each factory call came to.

`FactoryClient.make_pizzas` never raises for a factory problem: it returns a `FactoryCall` that
says whether the pizzas were made, the factory's JSON answer (with any reportUrl), and, when it
failed, which kind of failure it was (one of FAILURE_KINDS, the metrics' `kind` label).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

FAILURE_KINDS = ("http_5xx", "http_4xx", "timeout", "connection", "bad_response")


@dataclass(frozen=True)
class FactoryCall:
    """One `POST /api/order` to the factory: its HTTP status (None without an answer), the parsed
    JSON answer (None when there was none or it was not JSON) and the failure kind, if any."""

    status: int | None
    answer: Any
    failure: str | None
    duration_s: float

    @property
    def made(self) -> bool:
        return self.failure is None

    @property
    def report_url(self) -> str | None:
        url = self.answer.get("reportUrl") if isinstance(self.answer, dict) else None
        return url if isinstance(url, str) else None

    @property
    def jwt(self) -> Any:
        return self.answer.get("jwt") if isinstance(self.answer, dict) else None


def build_transport(kind: str, pool_size: int) -> httpx.AsyncBaseTransport:
    """The connection pool to the factory.

    aiohttp by default: httpx's own AsyncClient transport (httpcore) collapses to about 72 req/s
    with 64 requests in flight (encode/httpx#3215), while aiohttp's pool serves thousands, and a
    load test keeps hundreds of orders waiting on a throttled factory at once.
    """
    limits = httpx.Limits(max_connections=pool_size, max_keepalive_connections=pool_size)
    if kind == "aiohttp":
        return AiohttpTransport(limits=limits, trust_env=False)
    return httpx.AsyncHTTPTransport(limits=limits, trust_env=False)


def failure_kind(exc: BaseException) -> str:
    """`timeout` or `connection` for an exception raised while calling the factory.

    httpx-aiohttp maps aiohttp's errors loosely (a refused connection arrives as
    httpx.ConnectTimeout), so when the original aiohttp error is known it decides.
    """
    original = exc if isinstance(exc, aiohttp.ClientError) else exc.__cause__
    if isinstance(original, aiohttp.ClientError):
        return "timeout" if isinstance(original, TimeoutError) else "connection"
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return "timeout"
    return "connection"


def status_failure(status: int) -> str | None:
    if 200 <= status < 300:
        return None
    if status >= 500:
        return "http_5xx"
    return "http_4xx" if status >= 400 else "bad_response"


class FactoryClient:
    """POSTs orders to `{url}/api/order` with the vendor key; `timeout_s=None` waits forever."""

    def __init__(
        self, url: str, api_key: str, timeout_s: float | None, transport: httpx.AsyncBaseTransport
    ) -> None:
        self.url = url.rstrip("/") + "/api/order"
        self.timeout_s = timeout_s
        self.client = httpx.AsyncClient(
            transport=transport,
            timeout=None,  # the whole call is bounded below, not each socket read
            headers={"authorization": f"Bearer {api_key}"},
            trust_env=False,
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def make_pizzas(self, diner: dict[str, Any], order: dict[str, Any]) -> FactoryCall:
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await self.client.post(self.url, json={"diner": diner, "order": order})
        except (TimeoutError, httpx.TransportError, aiohttp.ClientError, OSError) as exc:
            return FactoryCall(None, None, failure_kind(exc), time.perf_counter() - started)
        except httpx.DecodingError:  # a body httpx could not decompress
            return FactoryCall(None, None, "bad_response", time.perf_counter() - started)
        duration = time.perf_counter() - started
        try:
            answer = response.json()
        except ValueError:  # the real service's r.json() throws here: not a made pizza
            failure = status_failure(response.status_code) or "bad_response"
            return FactoryCall(response.status_code, None, failure, duration)
        return FactoryCall(
            response.status_code, answer, status_failure(response.status_code), duration
        )

"""The game day's control channel: a tiny token-protected HTTP API on a free 127.0.0.1 port,
served inside the run's own asyncio loop, through which people acknowledge the page, call a
report URL and abort; and `gameday.json`, which tells `harness ack|resolve|abort` where it is.

    POST /ack      {"who"}         -> 200 {"message"} | 409 {"message"} (nobody paged, acked)
    POST /resolve  {"who", "url"}  -> 200 {"message", "outcome", "status"} | 409 (host refused)
    POST /abort    {"who"}         -> 200 {"message"} (the run rolls back and ends)

Every call needs `Authorization: Bearer <token>` (401 otherwise); a bad body gets 400.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from harness import jsontext
from harness.gameday.info import GAMEDAY_FILE, remove_info, write_info
from harness.runner.served import LoopServer


class Refused(Exception):
    """The game day will not do what was asked; the message says why (409)."""


class People(Protocol):
    """What people may do to a running game day."""

    def acknowledge(self, who: str) -> str: ...

    async def resolve(self, who: str, url: str) -> dict[str, Any]: ...

    def abort(self, who: str) -> str: ...


Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


def control_app(people: People, token: str) -> Starlette:
    async def ack(body: dict[str, Any]) -> dict[str, Any]:
        return {"message": people.acknowledge(_text(body, "who"))}

    async def resolve(body: dict[str, Any]) -> dict[str, Any]:
        return await people.resolve(_text(body, "who"), _text(body, "url"))

    async def abort(body: dict[str, Any]) -> dict[str, Any]:
        return {"message": people.abort(_text(body, "who"))}

    routes = [
        Route(f"/{name}", _guarded(handler, token), methods=["POST"])
        for name, handler in (("ack", ack), ("resolve", resolve), ("abort", abort))
    ]
    return Starlette(routes=routes)


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"`{name}` must be a non-empty string")
    return value.strip()


def _guarded(handler: Handler, token: str) -> Callable[[Request], Awaitable[JSONResponse]]:
    expected = f"Bearer {token}".encode()

    async def endpoint(request: Request) -> JSONResponse:
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return JSONResponse({"message": "wrong or missing token"}, status_code=401)
        try:
            body = jsontext.loads(await request.body() or b"{}")
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            return JSONResponse(await handler(body))
        except Refused as exc:
            return JSONResponse({"message": str(exc)}, status_code=409)
        except ValueError as exc:
            return JSONResponse({"message": f"bad request: {exc}"}, status_code=400)

    return endpoint


class ControlServer:
    """Serves the control API as a task of the running loop; `gameday.json` exists while it
    does (written when it listens, removed when it stops, whatever ends the run)."""

    def __init__(self, people: People, report_dir: Path, run_dir: Path) -> None:
        self.token = secrets.token_urlsafe(24)
        self.file, self.run_dir = report_dir / GAMEDAY_FILE, run_dir
        self.server = LoopServer(control_app(people, self.token), "game day's control API")

    async def start(self) -> str:
        url = await self.server.start()
        write_info(self.file, url, self.token, self.run_dir)
        return url

    async def stop(self) -> None:
        remove_info(self.file)
        await self.server.stop()

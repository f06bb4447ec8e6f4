"""Diner accounts: register, login, logout (`/api/auth`) and `GET /api/user/me`, answering like
the real service's authRouter and userRouter."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from harness.express import json_body, json_response, message
from harness.service.auth import Diner
from harness.service.passwords import hash_password, password_matches
from harness.service.runtime import diner_required, runtime


def _text(body: dict[str, Any], key: str) -> str:
    """A required string field; anything missing, empty or not a string counts as absent."""
    value = body.get(key)
    return value if isinstance(value, str) else ""


async def register(request: Request) -> Response:
    rt = runtime(request)
    body = await json_body(request)
    name, email, password = (_text(body, k) for k in ("name", "email", "password"))
    if not name or not email or not password:
        return message("name, email, and password are required", 400)
    user_id = rt.store.add_user(name, email, hash_password(password))
    user = {"name": name, "email": email, "roles": [{"role": "diner"}], "id": user_id}
    return json_response({"user": user, "token": rt.tokens.issue(user)})


async def login(request: Request) -> Response:
    rt = runtime(request)
    body = await json_body(request)
    row = rt.store.user_by_email(_text(body, "email"))
    if row is None or not password_matches(_text(body, "password"), row["password"]):
        return message("unknown user", 404)
    user = {
        "id": row["id"],
        "name": row["name"],
        "email": row["email"],
        "roles": rt.store.roles(row["id"]),
    }
    return json_response({"user": user, "token": rt.tokens.issue(user)})


@diner_required
async def logout(request: Request, diner: Diner) -> Response:
    runtime(request).tokens.revoke(request)
    return message("logout successful", 200)


@diner_required
async def me(request: Request, diner: Diner) -> Response:
    """The real service answers with the token's claims: id, name, email, roles and iat."""
    return json_response(diner.claims)


ROUTES = [
    Route("/api/auth", register, methods=["POST"]),
    Route("/api/auth", login, methods=["PUT"]),
    Route("/api/auth", logout, methods=["DELETE"]),
    Route("/api/user/me", me, methods=["GET"]),
]

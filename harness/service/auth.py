"""Diner login tokens, as the real service makes them: an HS256 JWT of the user object, valid
only while its signature sits in the `auth` table (logout deletes it)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt
from starlette.requests import Request

from harness.service.store import PizzaStore


@dataclass(frozen=True)
class Diner:
    """The logged-in caller: the claims of their token (id, name, email, roles, iat)."""

    claims: dict[str, Any]

    @property
    def id(self) -> int:
        return int(self.claims["id"])

    def is_admin(self) -> bool:
        roles = self.claims.get("roles") or []
        return any(isinstance(r, dict) and r.get("role") == "admin" for r in roles)

    def public(self) -> dict[str, Any]:
        """What the factory is told about the diner."""
        return {"id": self.id, "name": self.claims.get("name"), "email": self.claims.get("email")}


def read_token(request: Request) -> str | None:
    """Like the real service: the second word of the Authorization header, whatever the first."""
    words = request.headers.get("authorization", "").split(" ")
    return words[1] if len(words) > 1 and words[1] else None


def signature(token: str) -> str:
    """The part of a token the auth table keys on (the real service's getTokenSignature)."""
    parts = token.split(".")
    return parts[2] if len(parts) > 2 else ""


class Tokens:
    def __init__(self, secret: str, store: PizzaStore) -> None:
        self.secret, self.store = secret, store

    def issue(self, user: dict[str, Any]) -> str:
        """A token for `user` (id, name, email, roles), recorded as logged in."""
        token = jwt.encode({**user, "iat": int(time.time())}, self.secret, algorithm="HS256")
        self.store.add_token(signature(token), user["id"])
        return token

    def diner(self, request: Request) -> Diner | None:
        """The caller, if they sent a token that is logged in and verifies; else None."""
        token = read_token(request)
        if token is None or not self.store.has_token(signature(token)):
            return None
        try:
            claims = jwt.decode(token, self.secret, algorithms=["HS256"])
        except jwt.PyJWTError:
            return None
        return Diner(claims) if isinstance(claims.get("id"), int) else None

    def revoke(self, request: Request) -> None:
        token = read_token(request)
        if token is not None:
            self.store.remove_token(signature(token))

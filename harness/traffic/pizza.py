"""Is this pizza real? Verify a pizza JWT's RS256 signature against the factory's JWKS.

The real factory puts iat/exp/iss in the JWS protected header, not in the payload, so claim checks
that read the payload (exp, nbf, iat, iss, aud) are off: only the signature is verified, with the
key the header's `kid` names. This module does not import locust.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
from jwt.types import Options

ONLY_THE_SIGNATURE: Options = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "require": [],
}


@dataclass(frozen=True)
class PizzaCheck:
    """`valid` is True (genuine), False (not a pizza from this factory) or None (could not tell:
    no usable JWKS). `unknown_key` says the JWT names a key the JWKS lacks (worth a refetch)."""

    valid: bool | None
    reason: str = ""
    unknown_key: bool = False


class PizzaVerifier:
    """The public keys of one JWKS document, by key id."""

    def __init__(self, jwks: Any) -> None:
        self.keys: dict[str | None, jwt.PyJWK] = {}
        entries = jwks.get("keys") if isinstance(jwks, dict) else None
        if not isinstance(entries, list):
            raise ValueError("the JWKS has no 'keys' list")
        for entry in entries:
            try:
                key = jwt.PyJWK(entry, algorithm="RS256")
            except (jwt.PyJWTError, TypeError, ValueError, KeyError):
                continue  # a key we cannot use (other type or algorithm): skip it
            self.keys[key.key_id] = key
        if not self.keys:
            raise ValueError("the JWKS has no usable RS256 key")

    def check(self, token: object) -> PizzaCheck:
        if not isinstance(token, str) or not token:
            return PizzaCheck(False, "the answer carries no pizza jwt")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return PizzaCheck(False, f"the pizza jwt is not a JWS ({token[:12]}...)")
        kid = header.get("kid")
        key = self.keys.get(kid)
        if key is None and kid is None and len(self.keys) == 1:
            key = next(iter(self.keys.values()))
        if key is None:
            return PizzaCheck(False, f"the pizza jwt names an unknown key {kid!r}", True)
        try:
            jwt.decode(token, key.key, algorithms=["RS256"], options=ONLY_THE_SIGNATURE)
        except jwt.InvalidSignatureError:
            return PizzaCheck(False, "the pizza jwt's signature does not verify")
        except jwt.PyJWTError as exc:
            return PizzaCheck(False, f"the pizza jwt does not verify ({exc})")
        return PizzaCheck(True)

"""Is this pizza real? Verify a pizza JWT's RS256 signature against the factory's JWKS.

The real factory puts iat/exp/iss in the JWS protected header, not in the payload, so claim checks
that read the payload (exp, nbf, iat, iss, aud) are off: only the signature is verified, with the
key the header's `kid` names. This module does not import locust.

The check splits and decodes the JWS itself (C-speed base64 and JSON) and lets PyJWT's RS256
algorithm verify the signature: `jwt.decode` and `get_unverified_header` each validate the
base64url alphabet one character at a time in Python (PyJWT 2.10+), which cost the diners'
process about half a millisecond per pizza and so capped what a load test could measure.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Any

import jwt

B64URL = re.compile(r"[A-Za-z0-9_-]*")


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
        parts = token.split(".")
        try:
            if len(parts) != 3 or not all(B64URL.fullmatch(part) for part in parts):
                raise ValueError("not three base64url segments")
            header = json.loads(_b64decode(parts[0]))
            if not isinstance(header, dict):
                raise ValueError("the header is not a JSON object")
        except ValueError:  # binascii.Error and JSONDecodeError are ValueErrors
            return PizzaCheck(False, f"the pizza jwt is not a JWS ({token[:12]}...)")
        kid = header.get("kid")
        key = self.keys.get(kid)
        if key is None and kid is None and len(self.keys) == 1:
            key = next(iter(self.keys.values()))
        if key is None:
            return PizzaCheck(False, f"the pizza jwt names an unknown key {kid!r}", True)
        if header.get("alg") != "RS256":
            return PizzaCheck(
                False, f"the pizza jwt is signed with {header.get('alg')!r}, not RS256"
            )
        try:
            payload = json.loads(_b64decode(parts[1]))
            signature = _b64decode(parts[2])
        except ValueError:
            return PizzaCheck(False, "the pizza jwt does not verify (its payload is not JSON)")
        if not isinstance(payload, dict):
            return PizzaCheck(False, "the pizza jwt does not verify (its payload is not an object)")
        signed = f"{parts[0]}.{parts[1]}".encode()
        if not key.Algorithm.verify(signed, key.key, signature):
            return PizzaCheck(False, "the pizza jwt's signature does not verify")
        return PizzaCheck(True)


def _b64decode(segment: str) -> bytes:
    """base64url without padding, strictly (ValueError when it is not)."""
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None

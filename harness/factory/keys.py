"""The factory's RSA signing key: pizza JWTs (RS256), their verification, and the published JWKS.

The key lives in the state directory so every worker process signs with the same key and the JWKS
stays valid across restarts of one run.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "cs329.click"
PIZZA_LIFETIME_S = 24 * 60 * 60


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    """Read the PEM key at `path`, creating a 2048-bit key there first if it is missing."""
    if not path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(pem)
        tmp.replace(path)  # atomic: a worker never reads half a key
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, rsa.RSAPrivateKey):
        raise TypeError(f"{path} is not an RSA private key")
    return loaded


class PizzaSigner:
    """Signs and verifies pizza JWTs the way the real factory does."""

    def __init__(self, key: rsa.RSAPrivateKey) -> None:
        self.key = key
        self.public_key = key.public_key()
        self.jwk: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(self.public_key))
        self.kid = self._thumbprint()
        self.jwk.update(kid=self.kid, alg="RS256", use="sig")
        self.dead_jwt = "dead" + self.sign({"vendor": {}, "diner": {}, "order": {}})[4:]

    def _thumbprint(self) -> str:
        # RFC 7638 thumbprint: the required members, sorted, no spaces. No library call exposes
        # it for a cryptography key object, and it is four lines.
        members = {k: self.jwk[k] for k in ("e", "kty", "n")}
        canonical = json.dumps(members, separators=(",", ":"), sort_keys=True)
        return _b64url(hashlib.sha256(canonical.encode()).digest())

    def sign(self, payload: dict[str, Any]) -> str:
        """A compact JWS; like the real factory, iat/exp/iss sit in the protected header."""
        now = int(time.time())
        headers = {"kid": self.kid, "iat": now, "exp": now + PIZZA_LIFETIME_S, "iss": ISSUER}
        return jwt.encode(payload, self.key, algorithm="RS256", headers={**headers, "typ": None})

    def verify(self, token: object) -> dict[str, Any] | None:
        """The decoded payload if `token` bears our signature, else None (like node-jose)."""
        if not isinstance(token, str):
            return None
        try:
            raw = jwt.api_jws.decode(token, self.public_key, algorithms=["RS256"])
            payload = json.loads(raw)
        except (jwt.PyJWTError, ValueError):
            return None
        return payload if isinstance(payload, dict) else None

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk]}

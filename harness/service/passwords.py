"""Salted password hashes for diners (the real service uses bcrypt; we use the stdlib's PBKDF2)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# Deliberately few iterations: load tests register and log in thousands of diners a minute and
# the hash runs on the event loop. 1000 rounds of SHA-256 cost about a millisecond; this is a
# test double holding throwaway passwords, not a place to store real ones.
ITERATIONS = 1000
SCHEME = "pbkdf2_sha256"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS)
    return f"{SCHEME}${ITERATIONS}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        scheme, rounds, salt, digest = stored.split("$")
        if scheme != SCHEME:
            return False
        salt_bytes, rounds_count = bytes.fromhex(salt), int(rounds)
        computed = hashlib.pbkdf2_hmac("sha256", password.encode(), salt_bytes, rounds_count)
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex(), digest)

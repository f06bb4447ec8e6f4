"""The factory's signing keys (JWKS) as one process's diners share them: fetched once, again
when a pizza is signed by a key we do not know (at most every 2 s).

IMPORTS LOCUST (the fetch is a Locust request, so it shows in Locust's stats).
"""

from __future__ import annotations

import time

from gevent.lock import Semaphore
from locust.contrib.fasthttp import FastHttpSession

from harness.traffic.outcomes import describe, short
from harness.traffic.pizza import PizzaVerifier

JWKS_NAME = "GET factory /.well-known/jwks.json"
JWKS_REFRESH_S = 2.0


class JwksCache:
    """One process's verifier of the factory's pizzas."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._verifier: PizzaVerifier | None = None
        self._jwks_fetched_at = 0.0
        self._jwks_lock = Semaphore()

    def verifier(self, client: FastHttpSession, *, refresh: bool = False) -> PizzaVerifier | None:
        """The factory's keys, fetched once per process (again on `refresh`, at most every 2 s)."""
        with self._jwks_lock:
            stale = refresh and time.monotonic() - self._jwks_fetched_at > JWKS_REFRESH_S
            if self._verifier is None or stale:
                fetched = self._fetch_jwks(client)
                self._verifier = fetched or self._verifier
            return self._verifier

    def _fetch_jwks(self, client: FastHttpSession) -> PizzaVerifier | None:
        self._jwks_fetched_at = time.monotonic()
        with client.get(
            self.url, name=JWKS_NAME, catch_response=True
        ) as resp:  # an absolute URL: the factory, not the service
            try:
                if resp.status_code != 200:
                    resp.failure(f"HTTP {resp.status_code or 'no answer'}")
                    return None
                verifier = PizzaVerifier(resp.json())
                resp.success()
                return verifier
            except Exception as exc:
                resp.failure(short(f"unusable JWKS: {describe(exc)}"))
                return None

"""Diner traffic: Locust users who register, log in, read the menu, order pizza, verify the pizza
JWT against the factory's JWKS and read their order history.

Locust monkey-patches the whole process at import (gevent), so traffic always runs as its own
process: `python -m harness.traffic CONFIG.json`. Only `locustfile.py`, `diner.py`, `process.py`,
`jwks.py` and `distributed.py` import locust; everything else here (`config`, `events`,
`outcomes`, `pizza`, `ledger`, `tally`, `supervise`, `command`, `closing`, `progress`, `limits`)
is plain Python that the runner and the tests may import. This package's `__init__` imports nothing.
"""

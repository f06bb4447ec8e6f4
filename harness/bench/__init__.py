"""The harness's benchmark: how many pizzas per second the mock factory and the reference service
make on this machine, against the one hard ceiling, the RS256 signature every pizza needs.

Rows (each the median of several interleaved runs, with min, max, target and PASS/FAIL):
1. raw RS256 signing in the bench process with the factory's own key: the ceiling (~1 ms a sign);
2. factory `POST /api/order`, 1 worker, 64 in flight, and its ratio to (1): the HTTP stack's cost;
3. the same with 2 workers, and 2 workers / 1 worker: does the factory scale with cores;
4. factory `GET /.well-known/jwks.json`, 1 worker: the framework's ceiling with no signing at all;
5. the reference service's `POST /api/order` end to end (diner token, SQLite insert, factory call)
   with its aiohttp transport and with plain httpx, side by side: proves the transport choice
   (httpx's pool collapses at 64 in flight, encode/httpx#3215).

Why this shape: the machine has 2 cores shared with other work, so absolute figures move from run
to run. Every measure runs once per round (A, B, C, A, B, C, ...) so noise hits all alike, ratios
divide samples of the same round, and each row reports CPU per process (the load generator's too,
and `others`: the rest of the machine) so a reader can see whether a server was CPU-bound, what the
load itself cost, and whether someone else's work slowed a round.

    python -m harness.bench [--runs 5] [--seconds 3] [--only factory|service]

Prints one table, progress on stderr, and writes the figures to reports/bench.json. Load only ever
targets 127.0.0.1; every loop is bounded in time and count; every child is stopped on every exit.
"""

from harness.bench.run import main

__all__ = ["main"]

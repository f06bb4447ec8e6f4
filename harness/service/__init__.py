"""The reference JWT Pizza service: the real jwt-pizza-service's diner API, route for route and
field for field, over SQLite, relaying orders to a pizza factory, with Prometheus metrics and
JSON logs so a factory incident can be seen and measured.

Start it with `harness serve service`, or in-process with `create_app(ServiceConfig(...))`.
"""

from typing import Any

from harness.service.config import ServiceConfig

__all__ = ["ServiceConfig", "create_app"]


def __getattr__(name: str) -> Any:
    # The app (Starlette, the HTTP clients) loads only when asked for: every `harness` command
    # imports this package for its settings, and most never serve.
    if name == "create_app":
        from harness.service.app import create_app

        return create_app
    raise AttributeError(name)

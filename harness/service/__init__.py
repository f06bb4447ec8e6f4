"""The reference JWT Pizza service: the real jwt-pizza-service's diner API, route for route and
field for field, over SQLite, relaying orders to a pizza factory, with Prometheus metrics and
JSON logs so a factory incident can be seen and measured.

Start it with `harness serve service`, or in-process with `create_app(ServiceConfig(...))`.
"""

from harness.service.app import create_app
from harness.service.config import ServiceConfig

__all__ = ["ServiceConfig", "create_app"]

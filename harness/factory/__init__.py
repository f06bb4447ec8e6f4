"""The mock JWT Pizza Factory ("Headquarters"): the real factory's API, field for field, plus an
admin control plane that arms chaos and extra faults for tests and game days.

Start it with `harness serve factory`, or in-process with `create_app(FactoryConfig(...))`.
"""

from typing import Any

from harness.factory.config import ChaosStart, FactoryConfig

__all__ = ["ChaosStart", "FactoryConfig", "create_app"]


def __getattr__(name: str) -> Any:
    # The app (Starlette, the HTTP clients) loads only when asked for: every `harness` command
    # imports this package for its settings, and most never serve.
    if name == "create_app":
        from harness.factory.app import create_app

        return create_app
    raise AttributeError(name)

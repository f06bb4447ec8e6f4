"""pytest plugin (entry point `pytest11`): fixtures for a team's own resilience tests.

    pizza_factory   a running mock factory; `.chaos` arms chaos and faults over /admin
    pizza_service   the reference pizza service, calling pizza_factory
    harness_run     harness_run(scenario, **overrides) -> Verdict: one whole run, judged

`@pytest.mark.pizza(order_delay_ms=..., time_scale=..., report_dir=...)` sets their options
(harness.testing.PizzaOptions). Loaded in every pytest session, so it imports nothing heavy:
the servers and the runner load only when a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from harness.testing import HarnessRun, PizzaFactory, PizzaOptions, PizzaService

MARKER = "pizza"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "JWT Pizza chaos harness")
    group.addoption(
        "--harness-report-dir",
        default=None,
        metavar="DIR",
        help="keep harness_run's run folders in DIR (default: each test's tmp_path)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(order_delay_ms=50, factory_seed=None, report_field='followLinkToEndChaos', "
        "factory_timeout=None, time_scale=None, report_dir=None): options of the harness "
        "fixtures pizza_factory, pizza_service and harness_run",
    )


def pizza_options(request: pytest.FixtureRequest) -> PizzaOptions:
    """The test's `pizza` markers merged, the closest one winning."""
    from harness.errors import ConfigError
    from harness.testing import PizzaOptions

    markers = list(request.node.iter_markers(MARKER))
    if any(m.args for m in markers):
        raise ConfigError(
            f"{MARKER} marker", "takes keyword arguments only", fix="name each option"
        )
    return PizzaOptions.from_markers(m.kwargs for m in markers)


@pytest.fixture
def pizza_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PizzaFactory]:
    """A mock factory (`harness serve factory`) on a free loopback port, stopped after the test."""
    from harness.testing import PizzaFactory

    with PizzaFactory(tmp_path / "pizza-factory", pizza_options(request)) as factory:
        yield factory


@pytest.fixture
def pizza_service(
    request: pytest.FixtureRequest, tmp_path: Path, pizza_factory: PizzaFactory
) -> Iterator[PizzaService]:
    """The reference pizza service (`harness serve service`) relaying orders to pizza_factory."""
    from harness.testing import PizzaService

    options = pizza_options(request)
    with PizzaService(tmp_path / "pizza-service", pizza_factory, options) as service:
        yield service


@pytest.fixture
def harness_run(request: pytest.FixtureRequest, tmp_path: Path) -> HarnessRun:
    """`harness_run(scenario, **overrides) -> Verdict`: a whole `harness run`, from a test."""
    from harness.testing import HarnessRun

    options = pizza_options(request)
    option = request.config.getoption("--harness-report-dir")
    report_dir = options.report_dir or (Path(option) if option else tmp_path / "harness-runs")
    return HarnessRun(request.config.rootpath, report_dir, options.time_scale)

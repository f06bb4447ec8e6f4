"""What the pytest plugin's fixtures hand to a test: the servers, the chaos control, the verdict.

Import from here for type hints (`def test_x(pizza_factory: PizzaFactory)`); the fixtures
themselves live in `harness.pytest_plugin`, which loads this package only when a fixture is used.
"""

from harness.factory.control import ChaosControl
from harness.testing.options import PizzaOptions
from harness.testing.runs import CheckResult, HarnessRun, Verdict, find_scenario
from harness.testing.servers import PizzaFactory, PizzaService

__all__ = [
    "ChaosControl",
    "CheckResult",
    "HarnessRun",
    "PizzaFactory",
    "PizzaOptions",
    "PizzaService",
    "Verdict",
    "find_scenario",
]

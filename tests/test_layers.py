"""The never-rules between the harness's layers, read from the import statements of every module:
the service and the factory never import each other; the timeline, the verdict and the report
never import the runner; alerting imports neither the runner nor the traffic; only the traffic
imports locust; and no module is over 300 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HARNESS = Path(__file__).parent.parent / "harness"
MAX_LINES = 300

# (modules under this prefix, may never import this prefix)
NEVER = [
    ("harness.service", "harness.factory"),
    ("harness.factory", "harness.service"),
    ("harness.timeline", "harness.runner"),
    ("harness.verdict", "harness.runner"),
    ("harness.report", "harness.runner"),
    ("harness.alerting", "harness.runner"),
    ("harness.alerting", "harness.traffic"),
]


def modules() -> dict[str, Path]:
    found = {}
    for path in HARNESS.rglob("*.py"):
        parts = path.relative_to(HARNESS.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


@pytest.mark.parametrize(("layer", "forbidden"), NEVER)
def test_a_layer_never_imports_what_it_must_not(layer: str, forbidden: str) -> None:
    broken = {
        name: sorted(i for i in imports(path) if under(i, forbidden))
        for name, path in modules().items()
        if under(name, layer)
    }
    assert {name: found for name, found in broken.items() if found} == {}


def test_only_the_traffic_imports_locust() -> None:
    users = {
        name for name, path in modules().items() if any(under(i, "locust") for i in imports(path))
    }
    assert users and all(under(name, "harness.traffic") for name in users)


def test_no_module_is_over_300_lines() -> None:
    sizes = {name: len(p.read_text().splitlines()) for name, p in modules().items()}
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}

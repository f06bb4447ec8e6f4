"""Where scenario files are: a path, a folder of them (a suite), or a shipped scenario's name.

The shipped scenarios are package data (`harness/scenarios/`, a link to the checkout's
`scenarios/` that the wheel fills with copies), so names resolve from a checkout, an editable
install and a plain `pip install` alike.
"""

from __future__ import annotations

import os
from pathlib import Path

from harness.errors import UsageError

SHIPPED = Path(__file__).resolve().parent / "scenarios"


def shipped_names() -> list[str]:
    return sorted(p.stem for p in SHIPPED.glob("*.yaml")) if SHIPPED.is_dir() else []


def find_scenario(scenario: str | os.PathLike[str], rootdir: Path | None = None) -> Path:
    """A scenario file: absolute, relative to `rootdir` (default: here), or a shipped scenario's
    name (`seed-incident`: `<rootdir>/scenarios/seed-incident.yaml`, then the harness's own)."""
    given, root = Path(scenario), rootdir or Path()
    tried = [given] if given.is_absolute() else [root / given]
    if not given.is_absolute() and given.suffix == "" and len(given.parts) == 1:
        tried += [root / "scenarios" / f"{given}.yaml", SHIPPED / f"{given}.yaml"]
    for path in tried:
        if path.is_file():
            return path
    shipped = shipped_names()
    raise UsageError(
        f"scenario {str(scenario)!r} not found (tried {', '.join(str(p) for p in tried)})",
        fix="give a scenario file's path (absolute or relative to the rootdir)"
        + (f" or one of: {', '.join(shipped)}" if shipped else ""),
    )


def find_scenarios(given: list[str]) -> list[Path]:
    """Every file the arguments name: folders give their `*.yaml` files, in name order."""
    found: list[Path] = []
    for arg in given:
        path = Path(arg)
        if path.is_dir():
            files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
            if not files:
                raise UsageError(f"{path}: no scenario files (*.yaml) in this folder")
            found += files
        else:
            found.append(find_scenario(arg))
    seen: set[Path] = set()
    unique = []
    for path in found:  # a file named twice runs once
        if path.resolve() not in seen:
            seen.add(path.resolve())
            unique.append(path)
    return unique

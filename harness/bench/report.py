"""Turns the interleaved samples into rows (median, min, max, target, PASS/FAIL), one plain-text
table and the same figures as JSON. Ratio rows divide samples of the same round (paired), so the
noise one round suffered hits numerator and denominator alike."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from harness.bench.load import Sample


@dataclass
class Row:
    id: str
    label: str
    unit: str
    values: list[float]
    target: float | None = None  # the median must be at least this (at most: `at_most`)
    at_most: bool = False
    cpu: dict[str, float] = field(default_factory=dict)  # median % of one core, per process
    cost: dict[str, float] = field(default_factory=dict)  # median CPU ms per good answer
    errors: Counter[str] = field(default_factory=Counter)

    @classmethod
    def of(cls, id: str, label: str, unit: str, samples: list[Sample], **kw: Any) -> Row:
        names = sorted({n for s in samples for n in s.cpu}, key=lambda n: (n == "others", n))
        cpu = {n: statistics.median(s.cpu.get(n, 0.0) for s in samples) for n in names}
        cost = {
            n: statistics.median(10 * s.cpu.get(n, 0.0) / s.rate if s.rate else 0 for s in samples)
            for n in names
        }
        errors = sum((s.errors for s in samples), Counter[str]())
        values = [s.rate for s in samples]
        return cls(id, label, unit, values, cpu=cpu, cost=cost, errors=errors, **kw)

    @classmethod
    def ratio(cls, id: str, label: str, top: Row, bottom: Row, **kw: Any) -> Row:
        pairs = zip(top.values, bottom.values, strict=True)
        return cls(id, label, "ratio", [t / b if b else 0.0 for t, b in pairs], **kw)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def passed(self) -> bool | None:
        if self.target is None:
            return None
        return self.median <= self.target if self.at_most else self.median >= self.target

    def target_text(self) -> str:
        if self.target is None:
            return ""
        return f"{'<=' if self.at_most else '>='} {_num(self.target, self.unit)}"

    def verdict(self) -> str:
        return {None: "", True: "PASS", False: "FAIL"}[self.passed]

    def details(self) -> str:
        cpu = ", ".join(
            f"{n} {p:.0f}%" + ("" if n == "others" else f" {self.cost[n]:.2f}ms")
            for n, p in self.cpu.items()
        )
        errors = sum(self.errors.values())
        parts = [f"{errors} not ok" if errors else "", cpu]
        return "; ".join(p for p in parts if p)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "unit": self.unit,
            "median": self.median,
            "min": min(self.values),
            "max": max(self.values),
            "values": self.values,
            "target_min": self.target,
            "pass": self.passed,
            "cpu_percent_of_core": self.cpu,
            "cpu_ms_per_ok": self.cost,
            "not_ok": dict(self.errors),
        }


def _num(value: float, unit: str) -> str:
    if unit == "ratio":
        return f"{value:.3f}"
    if unit == "diners":
        return f"{value:,.0f}"
    return f"{value:,.1f}" if abs(value) < 100 else f"{value:,.0f}"


def table(rows: list[Row], title: str) -> str:
    head = (
        "row",
        "unit",
        "median",
        "min",
        "max",
        "target",
        "",
        "CPU: % of one core, CPU ms per ok answer",
    )
    body = [
        (
            r.label,
            r.unit,
            _num(r.median, r.unit),
            _num(min(r.values), r.unit),
            _num(max(r.values), r.unit),
            r.target_text(),
            r.verdict(),
            r.details(),
        )
        for r in rows
    ]
    widths = [max(len(line[i]) for line in [head, *body]) for i in range(len(head))]
    right = {2, 3, 4}

    def fmt(line: tuple[str, ...]) -> str:
        cells = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "-" * len(fmt(head))
    return "\n".join([title, rule, fmt(head), rule, *map(fmt, body), rule])


def missed(rows: list[Row]) -> list[str]:
    return [
        f"MISSED TARGET: {r.label.strip()}: median {_num(r.median, r.unit)} {r.unit} "
        f"{'>' if r.at_most else '<'} {_num(r.target, r.unit)}"
        for r in rows
        if r.passed is False and r.target is not None
    ]

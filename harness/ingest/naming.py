"""Prometheus names for pushed telemetry, as Grafana Cloud stores it.

OTLP follows the OpenTelemetry-to-Prometheus specification with suffixes, as Prometheus's
`otlptranslator` does (`UnderscoreEscapingWithSuffixes`): the name is split on every character
outside `[a-zA-Z0-9:]`, the unit's suffix is added (`ms` -> `milliseconds`, `%` -> `percent`,
`By/s` -> `bytes_per_second`; `1` and `{annotations}` add nothing), monotonic sums end in
`_total`, gauges with unit `1` in `_ratio`. So the course's `requests` (sum, unit 1) is
`requests_total`, `latency` (sum, ms) `latency_milliseconds_total`, `cpu` (gauge, %)
`cpu_percent`. Influx names follow Grafana's influx2cortex: `<measurement>_<field>`, or just
the measurement for a field called `value`, invalid characters turned into `_`.
"""

from __future__ import annotations

import re

UNITS = {
    **{"d": "days", "h": "hours", "min": "minutes", "s": "seconds"},
    **{"ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds"},
    **{"By": "bytes", "KiBy": "kibibytes", "MiBy": "mebibytes", "GiBy": "gibibytes"},
    **{"TiBy": "tibibytes", "KBy": "kilobytes", "MBy": "megabytes", "GBy": "gigabytes"},
    **{"TBy": "terabytes", "m": "meters", "V": "volts", "A": "amperes", "J": "joules"},
    **{"W": "watts", "g": "grams", "Cel": "celsius", "Hz": "hertz", "1": "", "%": "percent"},
}
PER_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}
PER_UNITS |= {"mo": "month", "y": "year"}
_NOT_METRIC = re.compile(r"[^a-zA-Z0-9:]+")
_NOT_LABEL = re.compile(r"[^a-zA-Z0-9_]")


def _unit_token(unit: str, table: dict[str, str]) -> str:
    unit = unit.strip()
    if not unit or "{" in unit or "}" in unit:
        return ""
    return "_".join(t for t in _NOT_METRIC.split(table.get(unit, unit)) if t)


def unit_suffixes(unit: str) -> tuple[str, str]:
    """(main, per) suffix tokens of an OTLP (UCUM) unit: `By/s` -> ("bytes", "per_second")."""
    main, _, per = unit.partition("/")
    per_token = _unit_token(per, PER_UNITS)
    return _unit_token(main, UNITS), f"per_{per_token}" if per_token else ""


def otlp_metric_name(name: str, unit: str, kind: str) -> str:
    """`kind` is counter (monotonic sum), gauge (gauge or non-monotonic sum) or histogram."""
    tokens = [t for t in _NOT_METRIC.split(name) if t]
    main, per = unit_suffixes(unit)
    if main and main not in tokens:
        tokens.append(main)
    if per and per not in tokens:
        tokens.append(per)
    if kind == "counter":
        tokens = [t for t in tokens if t != "total"] + ["total"]
    if unit.strip() == "1" and kind == "gauge":
        tokens = [t for t in tokens if t != "ratio"] + ["ratio"]
    out = "_".join(tokens)
    return f"_{out}" if out[:1].isdigit() else out


def otlp_label_name(key: str) -> str:
    """An attribute key as a label: invalid characters to `_`, `key_` before a digit or `_x`."""
    name = _NOT_LABEL.sub("_", key)
    if name[:1].isdigit():
        return f"key_{name}"
    if name.startswith("_") and not name.startswith("__"):
        return f"key{name}"
    return name


def influx_name(text: str) -> str:
    """influx2cortex's replaceInvalidChars: `[^a-zA-Z0-9_]` to `_`, `_` before a digit."""
    name = _NOT_LABEL.sub("_", text)
    return f"_{name}" if name[:1].isdigit() else name


def influx_metric_name(measurement: str, field: str) -> str:
    return influx_name(measurement if field == "value" else f"{measurement}_{field}")

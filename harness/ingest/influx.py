"""InfluxDB line protocol (`POST /api/v1/push/influx/write`, what JWT Pizza services pushed to
Grafana Cloud before OTLP) into Prometheus samples, named as Grafana's influx2cortex names them.

    measurement[,tag=value...] field=value[,field=value...] [timestamp]

Escapes: `\\,` `\\ ` (and `\\=` in tag and field keys) outside strings, `\\"` and `\\\\` in string
fields. Field values: floats (`35.2`, `1000`, `-1.5e3`), integers `12i`, unsigned `12u`,
booleans (`t`, `true`, `F`, ...) as 1/0; strings are skipped. Each field is one sample named
`<measurement>_<field>` (just the measurement for a field called `value`). Timestamps are in
the `precision` query parameter's unit (default ns); without one the arrival time is used.
As in Grafana's endpoint, one bad line refuses the whole batch (nothing is stored).
"""

from __future__ import annotations

import io

from harness.ingest.bounds import MAX_SAMPLES_PER_PUSH
from harness.ingest.naming import influx_metric_name, influx_name
from harness.ingest.otlp import Sample
from harness.numbers import decimal

PRECISION = {"ns": 1e-9, "n": 1e-9, "us": 1e-6, "u": 1e-6, "ms": 1e-3, "s": 1.0}
PRECISION |= {"m": 60.0, "h": 3600.0}
TRUE = {"t", "T", "true", "True", "TRUE"}
FALSE = {"f", "F", "false", "False", "FALSE"}


class LineError(ValueError):
    """A line that is not line protocol; the message names the line and what is wrong."""


def _scan(text: str, i: int, stops: str) -> tuple[str, int]:
    """Reads up to an unescaped character of `stops`; a backslash escapes the next one."""
    out = []
    while i < len(text) and text[i] not in stops:
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in ',= \\"':
            i += 1
        out.append(text[i])
        i += 1
    return "".join(out), i


def _string_field(text: str, i: int) -> tuple[str, int]:
    out = []
    i += 1  # the opening quote
    while i < len(text) and text[i] != '"':
        if text[i] == "\\" and i + 1 < len(text) and text[i + 1] in '"\\':
            i += 1
        out.append(text[i])
        i += 1
    if i >= len(text):
        raise LineError("unterminated string field value")
    return "".join(out), i + 1


def field_value(raw: str) -> float | None:
    """A field's value as a float; None for a string field (never raised for those)."""
    if raw in TRUE or raw in FALSE:
        return 1.0 if raw in TRUE else 0.0
    try:
        if raw[-1:] in ("i", "u"):
            value = int(raw[:-1])
            if raw[-1] == "u" and value < 0:
                raise ValueError
            return float(value)
        return float(raw)
    except ValueError:
        raise LineError(f"invalid field value {raw!r}") from None


def parse_line(line: str) -> tuple[str, dict[str, str], dict[str, float | None], int | None]:
    """(measurement, tags, fields, timestamp) of one line."""
    measurement, i = _scan(line, 0, ", ")
    if not measurement:
        raise LineError("missing measurement")
    tags: dict[str, str] = {}
    while i < len(line) and line[i] == ",":
        key, i = _scan(line, i + 1, "=, ")
        if i >= len(line) or line[i] != "=" or not key:
            raise LineError(f"tag {key!r} without '=value'")
        value, i = _scan(line, i + 1, ", ")
        if not value:
            raise LineError(f"tag {key!r} has an empty value")
        tags[key] = value
    fields: dict[str, float | None] = {}
    i = _skip_spaces(line, i)
    while True:
        key, i = _scan(line, i, "=, ")
        if i >= len(line) or line[i] != "=" or not key:
            raise LineError("missing fields" if not fields and not key else f"bad field {key!r}")
        if line[i + 1 : i + 2] == '"':
            _, i = _string_field(line, i + 1)
            fields[key] = None
        else:
            raw, i = _scan(line, i + 1, ", ")
            fields[key] = field_value(raw)
        if i < len(line) and line[i] == ",":
            i += 1
            continue
        break
    stamp = line[_skip_spaces(line, i) :].strip()
    at = decimal(stamp, signed=True) if stamp else None
    if stamp and at is None:
        raise LineError(f"invalid timestamp {stamp[:40]!r}")
    return measurement, tags, fields, at


def _skip_spaces(text: str, i: int) -> int:
    while i < len(text) and text[i] == " ":
        i += 1
    return i


def parse_lines(
    body: str, precision: str = "ns", max_samples: int = MAX_SAMPLES_PER_PUSH
) -> list[Sample]:
    """Every numeric field of every line as a sample; LineError (naming the line, or saying the
    push holds more than `max_samples`) refuses all."""
    scale = PRECISION.get(precision or "ns")
    if scale is None:
        raise LineError(f"precision {precision!r} is not one of {', '.join(PRECISION)}")
    samples: list[Sample] = []
    for number, line in enumerate(io.StringIO(body), 1):  # lazily: a refused push stops early
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            measurement, tags, fields, stamp = parse_line(line)
        except LineError as exc:
            raise LineError(f"line {number}: {exc}: {line[:120]!r}") from None
        labels = {influx_name(k): v for k, v in tags.items() if k != "__name__"}
        at = None if stamp is None else stamp * scale
        for field, value in fields.items():
            if value is not None:
                samples.append(Sample(influx_metric_name(measurement, field), labels, value, at))
        if len(samples) > max_samples:  # stop early: a 5 MB push must not be held whole
            raise LineError(f"more than {max_samples} samples in one push: push more often")
    return samples

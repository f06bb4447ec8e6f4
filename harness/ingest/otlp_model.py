"""The OTLP/HTTP JSON metrics request (ExportMetricsServiceRequest) as pydantic models.

Proto3 JSON as OTLP writes it: lowerCamelCase keys, 64-bit integers as strings (numbers are
accepted too: JWT Pizza's hand-written pushes send `asInt: 50`), enums as names or numbers
(`"AGGREGATION_TEMPORALITY_CUMULATIVE"` or `2`), doubles as numbers or "NaN"/"Infinity".
Unknown keys are ignored, as a protobuf JSON parser ignores them on request.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

TEMPORALITY = {
    "AGGREGATION_TEMPORALITY_UNSPECIFIED": 0,
    "AGGREGATION_TEMPORALITY_DELTA": 1,
    "AGGREGATION_TEMPORALITY_CUMULATIVE": 2,
}
DELTA, CUMULATIVE = 1, 2
NO_RECORDED_VALUE = 1  # DataPointFlags: the series ended (a staleness marker in Prometheus)


def _int64(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _double(value: Any) -> Any:
    if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
        return float(value.replace("Infinity", "inf"))
    return value


def _temporality(value: Any) -> Any:
    return TEMPORALITY.get(value, value) if isinstance(value, str) else value


Int64 = Annotated[int, BeforeValidator(_int64)]
Double = Annotated[float, BeforeValidator(_double)]
Temporality = Annotated[int, BeforeValidator(_temporality), Field(ge=0, le=2)]


class Proto(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AnyValue(Proto):
    stringValue: str | None = None
    boolValue: bool | None = None
    intValue: Int64 | None = None
    doubleValue: Double | None = None
    arrayValue: dict[str, Any] | None = None
    kvlistValue: dict[str, Any] | None = None
    bytesValue: str | None = None


class KeyValue(Proto):
    key: str
    value: AnyValue = Field(default_factory=AnyValue)


class Point(Proto):
    attributes: list[KeyValue] = Field(default_factory=list)
    startTimeUnixNano: Int64 = 0
    timeUnixNano: Int64 = 0
    flags: int = 0


class NumberPoint(Point):
    asInt: Int64 | None = None
    asDouble: Double | None = None


class HistogramPoint(Point):
    count: Int64 = 0
    sum: Double | None = None
    bucketCounts: list[Int64] = Field(default_factory=list)
    explicitBounds: list[Double] = Field(default_factory=list)


class Quantile(Proto):
    quantile: Double = 0.0
    value: Double = 0.0


class SummaryPoint(Point):
    count: Int64 = 0
    sum: Double = 0.0
    quantileValues: list[Quantile] = Field(default_factory=list)


class Gauge(Proto):
    dataPoints: list[NumberPoint] = Field(default_factory=list)


class Sum(Gauge):
    aggregationTemporality: Temporality = 0
    isMonotonic: bool = False


class Histogram(Proto):
    dataPoints: list[HistogramPoint] = Field(default_factory=list)
    aggregationTemporality: Temporality = 0


class Summary(Proto):
    dataPoints: list[SummaryPoint] = Field(default_factory=list)


class Metric(Proto):
    name: str = Field(min_length=1)
    unit: str = ""
    description: str = ""
    gauge: Gauge | None = None
    sum: Sum | None = None
    histogram: Histogram | None = None
    summary: Summary | None = None
    exponentialHistogram: dict[str, Any] | None = None


class Resource(Proto):
    attributes: list[KeyValue] = Field(default_factory=list)


class ScopeMetrics(Proto):
    scope: dict[str, Any] | None = None
    metrics: list[Metric] = Field(default_factory=list)


class ResourceMetrics(Proto):
    resource: Resource = Field(default_factory=Resource)
    scopeMetrics: list[ScopeMetrics] = Field(default_factory=list)


class ExportMetricsServiceRequest(Proto):
    resourceMetrics: list[ResourceMetrics] = Field(default_factory=list)

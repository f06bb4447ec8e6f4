"""OTLP/HTTP JSON metrics (`POST /v1/metrics`, what JWT Pizza services push to Grafana Cloud
since 2025) into Prometheus samples, as Prometheus's and Grafana Cloud's OTLP receivers do.

- names and units per harness.ingest.naming (`requests` sum -> `requests_total`);
- attributes become labels (dots to underscores); resource `service.name` (prefixed with
  `service.namespace/` when set) becomes `job`, `service.instance.id` becomes `instance`; other
  resource attributes (Prometheus's `target_info`) and scope attributes are not stored;
- gauges and non-monotonic sums keep their name; histograms give `_bucket{le}` (cumulative,
  `+Inf` last), `_sum` and `_count`; summaries `{quantile}`, `_sum`, `_count`;
- delta temporality (sums and histograms) is added into a running total per series, so
  `rate()` works as on a cumulative counter (Prometheus refuses deltas unless its
  delta-to-cumulative feature is on; the harness chooses to accumulate);
- rejected (counted in the answer's `partialSuccess`, the rest is stored): points without a
  value, unspecified temporality, exponential histograms (native histograms are not stored),
  metrics with no data; the NoRecordedValue flag writes a staleness marker.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from pydantic import ValidationError

from harness import jsontext
from harness.ingest.body import field_errors
from harness.ingest.naming import otlp_label_name, otlp_metric_name
from harness.ingest.otlp_model import (
    CUMULATIVE,
    DELTA,
    NO_RECORDED_VALUE,
    AnyValue,
    ExportMetricsServiceRequest,
    HistogramPoint,
    KeyValue,
    Metric,
    NumberPoint,
    Point,
)


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float | None  # None: a staleness marker
    t: float | None  # the payload's own time, epoch seconds (None when it gives none)


class OtlpError(ValueError):
    """The request as a whole is not an ExportMetricsServiceRequest: nothing was stored."""


@dataclass
class Translated:
    samples: list[Sample] = field(default_factory=list)
    rejected: int = 0
    messages: list[str] = field(default_factory=list)

    def reject(self, count: int, message: str) -> None:
        self.rejected += count
        if message not in self.messages:
            self.messages.append(message)


def number(value: float) -> str:
    """A float as Prometheus's Go code writes it in labels (`10`, `0.25`, `+Inf`)."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)


def attribute_text(value: AnyValue) -> str:
    if value.stringValue is not None:
        return value.stringValue
    if value.boolValue is not None:
        return "true" if value.boolValue else "false"
    if value.intValue is not None:
        return str(value.intValue)
    if value.doubleValue is not None:
        return number(value.doubleValue)
    other = value.arrayValue or value.kvlistValue
    return json.dumps(other, separators=(",", ":")) if other else value.bytesValue or ""


def resource_labels(attributes: list[KeyValue]) -> dict[str, str]:
    attrs = {kv.key: attribute_text(kv.value) for kv in attributes}
    labels = {}
    if attrs.get("service.name"):
        namespace = attrs.get("service.namespace")
        name = attrs["service.name"]
        labels["job"] = f"{namespace}/{name}" if namespace else name
    if attrs.get("service.instance.id"):
        labels["instance"] = attrs["service.instance.id"]
    return labels


class OtlpTranslator:
    """Stateful only for delta temporality: the running totals per series."""

    def __init__(self) -> None:
        self._totals: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}

    def decode(self, raw: bytes) -> Translated:
        try:
            data = jsontext.loads(raw)
        except ValueError as exc:
            raise OtlpError(f"body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise OtlpError(f"body must be a JSON object, got {type(data).__name__}")
        try:
            request = ExportMetricsServiceRequest.model_validate(data)
        except ValidationError as exc:
            raise OtlpError(
                f"invalid ExportMetricsServiceRequest: {field_errors(exc)[0]}"
            ) from None
        return self.translate(request)

    def translate(self, request: ExportMetricsServiceRequest) -> Translated:
        out = Translated()
        for resource in request.resourceMetrics:
            target = resource_labels(resource.resource.attributes)
            for scope in resource.scopeMetrics:
                for metric in scope.metrics:
                    self._metric(metric, target, out)
        return out

    def _metric(self, metric: Metric, target: dict[str, str], out: Translated) -> None:
        if metric.gauge is not None:
            name = otlp_metric_name(metric.name, metric.unit, "gauge")
            self._numbers(name, metric.gauge.dataPoints, target, False, out)
        elif metric.sum is not None:
            s = metric.sum
            kind = "counter" if s.isMonotonic else "gauge"
            if s.aggregationTemporality not in (DELTA, CUMULATIVE):
                out.reject(len(s.dataPoints), f"{metric.name}: aggregationTemporality unspecified")
                return
            name = otlp_metric_name(metric.name, metric.unit, kind)
            delta = s.aggregationTemporality == DELTA
            self._numbers(name, s.dataPoints, target, delta, out)
        elif metric.histogram is not None:
            h = metric.histogram
            if h.aggregationTemporality not in (DELTA, CUMULATIVE):
                out.reject(len(h.dataPoints), f"{metric.name}: aggregationTemporality unspecified")
                return
            name = otlp_metric_name(metric.name, metric.unit, "histogram")
            for point in h.dataPoints:
                self._histogram(name, point, target, h.aggregationTemporality == DELTA, out)
        elif metric.summary is not None:
            name = otlp_metric_name(metric.name, metric.unit, "summary")
            for sp in metric.summary.dataPoints:
                labels = self._labels(sp, target)
                for q in sp.quantileValues:
                    quantile = {**labels, "quantile": number(q.quantile)}
                    out.samples.append(Sample(name, quantile, q.value, _time(sp)))
                out.samples.append(Sample(f"{name}_sum", labels, sp.sum, _time(sp)))
                out.samples.append(Sample(f"{name}_count", labels, float(sp.count), _time(sp)))
        elif metric.exponentialHistogram is not None:
            points = metric.exponentialHistogram.get("dataPoints") or []
            out.reject(len(points), f"{metric.name}: exponential histograms are not stored")
        else:
            out.reject(0, f"{metric.name}: no gauge, sum, histogram or summary data")

    def _labels(self, point: Point, target: dict[str, str]) -> dict[str, str]:
        labels = {otlp_label_name(kv.key): attribute_text(kv.value) for kv in point.attributes}
        return {**labels, **target}

    def _numbers(
        self,
        name: str,
        points: list[NumberPoint],
        target: dict[str, str],
        delta: bool,
        out: Translated,
    ) -> None:
        for point in points:
            labels = self._labels(point, target)
            if point.flags & NO_RECORDED_VALUE:
                out.samples.append(Sample(name, labels, None, _time(point)))
                continue
            value = point.asDouble if point.asInt is None else float(point.asInt)
            if value is None:
                out.reject(1, f"{name}: a data point has neither asInt nor asDouble")
                continue
            value = self._accumulate(name, labels, value) if delta else value
            out.samples.append(Sample(name, labels, value, _time(point)))

    def _histogram(
        self, name: str, point: HistogramPoint, target: dict[str, str], delta: bool, out: Translated
    ) -> None:
        labels, at = self._labels(point, target), _time(point)
        counts, bounds = point.bucketCounts, point.explicitBounds
        if counts and len(counts) != len(bounds) + 1:
            out.reject(1, f"{name}: {len(counts)} bucketCounts for {len(bounds)} explicitBounds")
            return
        series = list(_buckets(name, labels, counts, bounds))
        if point.sum is not None:
            series.append((f"{name}_sum", labels, point.sum))
        series.append((f"{name}_count", labels, float(point.count)))
        for n, lbls, v in series:
            value = self._accumulate(n, lbls, v) if delta else v
            out.samples.append(Sample(n, lbls, value, at))

    def _accumulate(self, name: str, labels: dict[str, str], value: float) -> float:
        key = (name, tuple(sorted(labels.items())))
        self._totals[key] = total = self._totals.get(key, 0.0) + value
        return total


def _buckets(
    name: str, labels: dict[str, str], counts: list[int], bounds: list[float]
) -> Iterator[tuple[str, dict[str, str], float]]:
    running = 0
    for count, bound in zip(counts, [*bounds, math.inf], strict=False):
        running += count
        yield f"{name}_bucket", {**labels, "le": number(bound)}, float(running)


def _time(point: Point) -> float | None:
    return point.timeUnixNano / 1e9 if point.timeUnixNano else None

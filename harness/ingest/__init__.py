"""Telemetry a team's own service pushes, received as Grafana Cloud would receive it, so the
built-in evaluator and the auto-reporter work on that service as it is.

    ingest_routes(tsdb, logs, clock, rejected)   POST /v1/metrics (OTLP JSON),
                                                 /api/v1/push/influx/write, /loki/api/v1/push
    OtlpTranslator, parse_lines                  payload -> Prometheus samples
    LogStore, report_urls                        pushed log lines; report URLs found in them
    arrival, payload_or_arrival                  clocks: payload time -> stored time
"""

from harness.ingest.body import Clock, arrival, payload_or_arrival, read_body
from harness.ingest.influx import LineError, parse_lines
from harness.ingest.loki import LogLine, LogStore, LokiError, parse_push, report_urls
from harness.ingest.otlp import OtlpError, OtlpTranslator, Sample
from harness.ingest.routes import SampleSink, ingest_routes

__all__ = [
    "Clock",
    "LineError",
    "LogLine",
    "LogStore",
    "LokiError",
    "OtlpError",
    "OtlpTranslator",
    "Sample",
    "SampleSink",
    "arrival",
    "ingest_routes",
    "parse_lines",
    "parse_push",
    "payload_or_arrival",
    "read_body",
    "report_urls",
]

"""The service's JSON log lines: one object per line, one per HTTP request and one per factory
call, on stdout or in a file. Tokens and passwords are never logged."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from harness.service.factory_client import FactoryCall

if TYPE_CHECKING:
    from harness.service.push import LokiBuffer

LEVELS = {logging.INFO: "info", logging.WARNING: "warn", logging.ERROR: "error"}


class JsonLineFormatter(logging.Formatter):
    """`{"ts", "level", ...the record's fields}` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": LEVELS.get(record.levelno, record.levelname.lower()),
            **getattr(record, "fields", {"message": record.getMessage()}),
        }
        return json.dumps(line, ensure_ascii=False, default=str)


class ServiceLog:
    """One app's log: its own logger (not in the logging tree), so several apps never mix lines."""

    def __init__(self, log_file: str | None = None, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self.logger = logging.Logger("harness.service", logging.INFO)
        self.handler: logging.Handler = (
            logging.FileHandler(log_file, encoding="utf-8")
            if log_file
            else logging.StreamHandler(sys.stdout)
        )
        self.handler.setFormatter(JsonLineFormatter())
        self.logger.addHandler(self.handler)

    def buffer_for_loki(self) -> LokiBuffer:
        """A second handler that keeps every line for the Loki pusher."""
        from harness.service.push import LokiBuffer

        buffer = LokiBuffer()
        buffer.setFormatter(JsonLineFormatter())
        self.logger.addHandler(buffer)
        return buffer

    def close(self) -> None:
        for handler in list(self.logger.handlers):
            self.logger.removeHandler(handler)
            handler.close()

    def _emit(self, level: int, fields: dict[str, Any]) -> None:
        self.logger.log(level, fields.get("type", "log"), extra={"fields": fields})

    def http(self, method: str, path: str, route: str, status: int, duration_s: float) -> None:
        if self.quiet:
            return
        level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
        fields = {
            "type": "http",
            "method": method,
            "path": path,
            "route": route,
            "status": status,
            "duration_ms": round(duration_s * 1000, 2),
        }
        self._emit(level, fields)

    def factory(self, order_id: int, call: FactoryCall) -> None:
        """Every factory call, including its answer (with the reportUrl: what an SRE follows)."""
        fields: dict[str, Any] = {
            "type": "factory",
            "status": call.status,
            "duration_ms": round(call.duration_s * 1000, 2),
            "orderId": order_id,
            "answer": call.answer,
        }
        if call.failure is not None:
            fields["error"] = call.failure
        self._emit(logging.INFO if call.made else logging.ERROR, fields)

    def error(self, method: str, path: str, exc: BaseException) -> None:
        """An unexpected error while answering: its type and text, never a stack trace."""
        fields = {"type": "error", "method": method, "path": path, "error": repr(exc)[:500]}
        self._emit(logging.ERROR, fields)

"""The factory's one source of truth: a SQLite file (WAL mode) shared by every worker process.

Each request asks SQLite's `PRAGMA data_version` (a few microseconds) whether another process
changed anything, and reloads its cached snapshot only then; so every order is answered with the
state as it is at that instant, whichever worker serves it. Writes are single statements, so two
workers racing to mark "the first affected order" cannot both win.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from harness.factory.faultstore import FaultTable
from harness.factory.records import Chaos, Snapshot, vendor_from_row
from harness.factory.timefmt import epoch_to_iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS vendor (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, api_key TEXT NOT NULL UNIQUE, created TEXT NOT NULL,
  chaos_type TEXT NOT NULL DEFAULT 'none', fix_code TEXT, initiated REAL, start REAL,
  fix_date REAL, episode INTEGER NOT NULL DEFAULT 0, first_affected REAL, spec TEXT, end_at REAL);
CREATE TABLE IF NOT EXISTS setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fault (name TEXT PRIMARY KEY, spec TEXT NOT NULL, armed REAL NOT NULL,
  start REAL NOT NULL, end_at REAL, started REAL, ended REAL);
CREATE TABLE IF NOT EXISTS report (id INTEGER PRIMARY KEY, at REAL NOT NULL, fix_code TEXT,
  known_key INTEGER NOT NULL, status INTEGER NOT NULL, outcome TEXT NOT NULL,
  message TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transition (id INTEGER PRIMARY KEY, at REAL NOT NULL,
  event TEXT NOT NULL, detail TEXT NOT NULL);
"""

MIGRATIONS = (
    "vendor ADD COLUMN spec TEXT",
    "vendor ADD COLUMN end_at REAL",
    "fault ADD COLUMN start REAL NOT NULL DEFAULT 0",
    "fault ADD COLUMN end_at REAL",
    "fault ADD COLUMN started REAL",
    "fault ADD COLUMN ended REAL",
)
VENDOR_COLUMNS = (
    "id, name, api_key, created, chaos_type, fix_code, initiated, start, fix_date, episode, "
    "first_affected, spec, end_at"
)


class FactoryStore(FaultTable):
    """Reads and writes the shared state. One instance per worker process."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        for column in MIGRATIONS:  # a state dir kept from an older harness
            with contextlib.suppress(sqlite3.OperationalError):
                self.db.execute(f"ALTER TABLE {column}")
        self._version = -1
        self._snapshot: Snapshot | None = None

    def seed(self, vendor_id: str, name: str, api_key: str, order_delay_ms: int) -> None:
        """Create the vendor and defaults unless another worker already did."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT OR IGNORE INTO vendor (id, name, api_key, created) VALUES (?, ?, ?, ?)",
                (vendor_id, name, api_key, epoch_to_iso(time.time())),
            )
            self.db.execute(
                "INSERT OR IGNORE INTO setting VALUES ('order_delay_ms', ?)", (str(order_delay_ms),)
            )
        self._changed()

    # -- reading --------------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        version = self.db.execute("PRAGMA data_version").fetchone()[0]
        if self._snapshot is None or version != self._version:
            self._snapshot = self._load()
            self._version = version
        return self._snapshot

    def _changed(self) -> None:
        """Our own writes do not move our data_version, so drop the cache by hand."""
        self._snapshot = None

    def _load(self) -> Snapshot:
        row = self.db.execute(f"SELECT {VENDOR_COLUMNS} FROM vendor LIMIT 1").fetchone()
        delay = self.db.execute("SELECT value FROM setting WHERE key='order_delay_ms'").fetchone()
        return Snapshot(
            vendor=vendor_from_row(row), order_delay_ms=int(delay[0]), faults=self.stored_faults()
        )

    def reports(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT at, fix_code, known_key, status, outcome, message FROM report ORDER BY id"
        ).fetchall()
        return [
            {
                "at": epoch_to_iso(at),
                "epoch": at,
                "fixCode": code,
                "knownApiKey": bool(known),
                "status": status,
                "outcome": outcome,
                "message": message,
            }
            for at, code, known, status, outcome, message in rows
        ]

    def transitions(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT at, event, detail FROM transition ORDER BY id").fetchall()
        return [
            {"at": epoch_to_iso(at), "epoch": at, "event": event, **json.loads(detail)}
            for at, event, detail in rows
        ]

    # -- writing --------------------------------------------------------------------------
    def _transition(self, event: str, at: float, **detail: Any) -> None:
        self.db.execute(
            "INSERT INTO transition (at, event, detail) VALUES (?, ?, ?)",
            (at, event, json.dumps(detail)),
        )

    def arm_chaos(
        self,
        spec: dict[str, Any],
        fix_code: str,
        start: float,
        *,
        by: str,
        end: float | None = None,
    ) -> Chaos:
        now, chaos_type = time.time(), spec["kind"]
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "UPDATE vendor SET chaos_type=?, fix_code=?, initiated=?, start=?, fix_date=NULL, "
                "first_affected=NULL, episode=episode+1, spec=?, end_at=?",
                (chaos_type, fix_code, now, start, json.dumps(spec), end),
            )
            chaos = self._chaos()
            self._transition(
                "chaos_armed",
                now,
                type=chaos_type,
                episode=chaos.episode,
                by=by,
                startDate=epoch_to_iso(start),
                name=chaos.name,
                probability=spec.get("probability", 1.0),
            )
        self._changed()
        return chaos

    def _chaos(self) -> Chaos:
        row = self.db.execute(f"SELECT {VENDOR_COLUMNS} FROM vendor LIMIT 1").fetchone()
        return vendor_from_row(row).chaos

    def end_chaos(
        self, *, event: str, by: str, fix_code: str | None = None, at: float | None = None
    ) -> str:
        """Resolve (report), clear (admin) or expire (`for`, `at` its end) the chaos; with
        `fix_code`, only if it matches.

        Returns the outcome: `resolved`, `unresolved` (wrong code) or `no_chaos`.
        """
        now = time.time() if at is None else at
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            before = self._chaos()
            if before.type == "none" or (at is not None and before.end != at):
                return "no_chaos"  # (an expiry another worker already recorded)
            if fix_code is not None and fix_code != before.fix_code:
                return "unresolved"
            self.db.execute(
                "UPDATE vendor SET chaos_type='none', fix_code=NULL, fix_date=?", (now,)
            )
            self._transition(
                event, now, type=before.type, episode=before.episode, by=by, name=before.name
            )
        self._changed()
        return "resolved"

    def mark_affected(self, chaos: Chaos, at: float) -> None:
        """Record the instant the first order felt this chaos episode (once, across workers)."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            cur = self.db.execute(
                "UPDATE vendor SET first_affected=? WHERE episode=? AND first_affected IS NULL "
                "AND chaos_type != 'none'",
                (at, chaos.episode),
            )
            if cur.rowcount == 1:
                self._transition(
                    "chaos_started", at, type=chaos.type, episode=chaos.episode, name=chaos.name
                )
        self._changed()

    def record_report(
        self, fix_code: str, known: bool, status: int, outcome: str, msg: str
    ) -> None:
        self.db.execute(
            "INSERT INTO report (at, fix_code, known_key, status, outcome, message) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (time.time(), fix_code, int(known), status, outcome, msg),
        )

    def set_order_delay(self, delay_ms: int) -> None:
        now = time.time()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("UPDATE setting SET value=? WHERE key='order_delay_ms'", (delay_ms,))
            self._transition("order_delay_changed", now, orderDelayMs=delay_ms)
        self._changed()

    def reset(self, order_delay_ms: int) -> None:
        """Back to a fresh factory: no chaos, no faults, default delay, empty records."""
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "UPDATE vendor SET chaos_type='none', fix_code=NULL, initiated=NULL, start=NULL, "
                "fix_date=NULL, first_affected=NULL, spec=NULL, end_at=NULL"
            )
            for table in ("fault", "report", "transition"):
                self.db.execute(f"DELETE FROM {table}")
            self.db.execute(
                "UPDATE setting SET value=? WHERE key='order_delay_ms'", (order_delay_ms,)
            )
            self._transition("reset", time.time())
        self._changed()

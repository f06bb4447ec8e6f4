"""The factory's one source of truth: a SQLite file (WAL mode) shared by every worker process.

Each request asks SQLite's `PRAGMA data_version` (a few microseconds) whether another process
changed anything, and reloads its cached snapshot only then; so every order is answered with the
state as it is at that instant, whichever worker serves it. Writes are single statements, so two
workers racing to mark "the first affected order" cannot both win.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.factory.timefmt import epoch_to_iso

SCHEMA = """
CREATE TABLE IF NOT EXISTS vendor (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, api_key TEXT NOT NULL UNIQUE, created TEXT NOT NULL,
  chaos_type TEXT NOT NULL DEFAULT 'none', fix_code TEXT, initiated REAL, start REAL,
  fix_date REAL, episode INTEGER NOT NULL DEFAULT 0, first_affected REAL);
CREATE TABLE IF NOT EXISTS setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fault (name TEXT PRIMARY KEY, spec TEXT NOT NULL, armed REAL NOT NULL);
CREATE TABLE IF NOT EXISTS report (id INTEGER PRIMARY KEY, at REAL NOT NULL, fix_code TEXT,
  known_key INTEGER NOT NULL, status INTEGER NOT NULL, outcome TEXT NOT NULL,
  message TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transition (id INTEGER PRIMARY KEY, at REAL NOT NULL,
  event TEXT NOT NULL, detail TEXT NOT NULL);
"""

VENDOR_COLUMNS = (
    "id, name, api_key, created, chaos_type, fix_code, initiated, start, fix_date, episode, "
    "first_affected"
)


@dataclass(frozen=True)
class Chaos:
    """A vendor's chaos record; `episode` numbers each arming so stale writes can be told apart."""

    type: str = "none"
    fix_code: str | None = None
    initiated: float | None = None
    start: float | None = None
    fix_date: float | None = None
    episode: int = 0
    first_affected: float | None = None

    def active(self, now: float) -> bool:
        """True when this chaos acts on orders at `now` (armed and its start has passed)."""
        return self.type != "none" and self.start is not None and self.start <= now

    def public(self) -> dict[str, Any]:
        """The record as the real factory's `GET /api/vendor` shows it (no fixCode)."""
        record: dict[str, Any] = {"type": self.type}
        for name, value in (
            ("initiatedDate", self.initiated),
            ("startDate", self.start),
            ("fixDate", self.fix_date),
        ):
            if value is not None:
                record[name] = epoch_to_iso(value)
        return record


@dataclass(frozen=True)
class Vendor:
    id: str
    name: str
    api_key: str
    created: str
    chaos: Chaos


@dataclass(frozen=True)
class Snapshot:
    """Everything an order needs, read at one instant."""

    vendor: Vendor
    order_delay_ms: int
    faults: tuple[tuple[str, dict[str, Any], float], ...]  # (name, spec, armed epoch)


class FactoryStore:
    """Reads and writes the shared state. One instance per worker process."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
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
        faults = self.db.execute("SELECT name, spec, armed FROM fault ORDER BY armed").fetchall()
        return Snapshot(
            vendor=_vendor(row),
            order_delay_ms=int(delay[0]),
            faults=tuple((n, json.loads(s), a) for n, s, a in faults),
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

    def arm_chaos(self, chaos_type: str, fix_code: str, start: float, *, by: str) -> Chaos:
        now = time.time()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "UPDATE vendor SET chaos_type=?, fix_code=?, initiated=?, start=?, fix_date=NULL, "
                "first_affected=NULL, episode=episode+1",
                (chaos_type, fix_code, now, start),
            )
            chaos = self._chaos()
            self._transition(
                "chaos_armed",
                now,
                type=chaos_type,
                episode=chaos.episode,
                by=by,
                startDate=epoch_to_iso(start),
            )
        self._changed()
        return chaos

    def _chaos(self) -> Chaos:
        row = self.db.execute(f"SELECT {VENDOR_COLUMNS} FROM vendor LIMIT 1").fetchone()
        return _vendor(row).chaos

    def end_chaos(self, *, event: str, by: str, fix_code: str | None = None) -> str:
        """Resolve (report) or clear (admin) the chaos; with `fix_code`, only if it matches.

        Returns the outcome: `resolved`, `unresolved` (wrong code) or `no_chaos`.
        """
        now = time.time()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            before = self._chaos()
            if before.type == "none":
                return "no_chaos"
            if fix_code is not None and fix_code != before.fix_code:
                return "unresolved"
            self.db.execute(
                "UPDATE vendor SET chaos_type='none', fix_code=NULL, fix_date=?", (now,)
            )
            self._transition(event, now, type=before.type, episode=before.episode, by=by)
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
                self._transition("chaos_started", at, type=chaos.type, episode=chaos.episode)
        self._changed()

    def record_report(
        self, fix_code: str, known: bool, status: int, outcome: str, msg: str
    ) -> None:
        self.db.execute(
            "INSERT INTO report (at, fix_code, known_key, status, outcome, message) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (time.time(), fix_code, int(known), status, outcome, msg),
        )

    def put_fault(self, name: str, spec: dict[str, Any]) -> None:
        now = time.time()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT OR REPLACE INTO fault VALUES (?, ?, ?)", (name, json.dumps(spec), now)
            )
            self._transition("fault_added", now, name=name, spec=spec)
        self._changed()

    def remove_faults(self, name: str | None = None) -> int:
        now = time.time()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            where, args = ("WHERE name=?", (name,)) if name else ("", ())
            count = self.db.execute(f"DELETE FROM fault {where}", args).rowcount
            if count:
                self._transition("fault_removed", now, name=name or "*", count=count)
        self._changed()
        return count

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
                "fix_date=NULL, first_affected=NULL"
            )
            for table in ("fault", "report", "transition"):
                self.db.execute(f"DELETE FROM {table}")
            self.db.execute(
                "UPDATE setting SET value=? WHERE key='order_delay_ms'", (order_delay_ms,)
            )
            self._transition("reset", time.time())
        self._changed()


def _vendor(row: tuple[Any, ...]) -> Vendor:
    vid, name, key, created, *chaos = row
    return Vendor(vid, name, key, created, Chaos(*chaos))

"""The extra faults' table of the factory's store: arm, remove, and the two instants the runner
follows (the first request a fault acted on, and the end its `for` set)."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from harness.factory.faults.engine import StoredFault


class FaultTable:
    """Mixed into FactoryStore, whose connection, transitions and cache it uses."""

    db: sqlite3.Connection

    def _transition(self, event: str, at: float, **detail: Any) -> None:
        raise NotImplementedError

    def _changed(self) -> None:
        raise NotImplementedError

    def stored_faults(self) -> tuple[StoredFault, ...]:
        rows = self.db.execute(
            "SELECT name, spec, armed, start, end_at, started, ended FROM fault ORDER BY armed"
        ).fetchall()
        return tuple(StoredFault(n, json.loads(s), *rest) for n, s, *rest in rows)

    def put_fault(
        self, name: str, spec: dict[str, Any], start: float, end: float | None = None
    ) -> None:
        now = time.time()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT OR REPLACE INTO fault (name, spec, armed, start, end_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (name, json.dumps(spec), now, start, end),
            )
            self._transition("fault_added", now, name=name, spec=spec, start=start, end=end)
        self._changed()

    def mark_fault_started(self, fault: StoredFault, at: float) -> None:
        """The first request this fault acted on (once, across workers)."""
        self._once(fault, "started", at, "fault_started")

    def mark_fault_ended(self, fault: StoredFault) -> None:
        """Its `for` is up: recorded at its end instant (once, across workers)."""
        assert fault.end is not None
        self._once(fault, "ended", fault.end, "fault_ended", how="expired")

    def _once(self, fault: StoredFault, column: str, at: float, event: str, **detail: Any) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            cur = self.db.execute(
                f"UPDATE fault SET {column}=? WHERE name=? AND armed=? AND {column} IS NULL",
                (at, fault.name, fault.armed),
            )
            if cur.rowcount == 1:
                kind = fault.spec["kind"]
                self._transition(event, at, name=fault.name, type=kind, **detail)
        self._changed()

    def remove_faults(self, name: str | None = None) -> int:
        """Remove one fault or all; each one still acting is recorded as `fault_removed`."""
        now = time.time()
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            where, args = ("WHERE name=?", (name,)) if name else ("", ())
            gone = self.db.execute(f"SELECT name, spec FROM fault {where}", args).fetchall()
            count = self.db.execute(f"DELETE FROM fault {where}", args).rowcount
            for fault_name, spec in gone:
                kind = json.loads(spec)["kind"]
                self._transition("fault_removed", now, name=fault_name, type=kind, how="cleared")
        self._changed()
        return count

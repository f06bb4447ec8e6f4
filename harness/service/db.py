"""The service's SQLite database: the real service's tables, opening (WAL for files) and seeding.

Tables and columns carry the real service's names (user, userRole, auth, menu, franchise, store,
dinerOrder, orderItem), so anyone reading both finds the same data in the same places.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.errors import ConfigError
from harness.service.config import MEMORY_DB
from harness.service.passwords import hash_password

SCHEMA = """
CREATE TABLE IF NOT EXISTS auth (token TEXT PRIMARY KEY, userId INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS user (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,
  email TEXT NOT NULL, password TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS user_email ON user (email);
CREATE TABLE IF NOT EXISTS userRole (id INTEGER PRIMARY KEY AUTOINCREMENT,
  userId INTEGER NOT NULL REFERENCES user (id), role TEXT NOT NULL, objectId INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS userRole_userId ON userRole (userId);
CREATE INDEX IF NOT EXISTS userRole_objectId ON userRole (objectId);
CREATE TABLE IF NOT EXISTS menu (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL,
  image TEXT NOT NULL, price REAL NOT NULL, description TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS franchise (id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS store (id INTEGER PRIMARY KEY AUTOINCREMENT,
  franchiseId INTEGER NOT NULL REFERENCES franchise (id), name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dinerOrder (id INTEGER PRIMARY KEY AUTOINCREMENT,
  dinerId INTEGER NOT NULL, franchiseId INTEGER NOT NULL, storeId INTEGER NOT NULL,
  date TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS dinerOrder_dinerId ON dinerOrder (dinerId);
CREATE TABLE IF NOT EXISTS orderItem (id INTEGER PRIMARY KEY AUTOINCREMENT,
  orderId INTEGER NOT NULL REFERENCES dinerOrder (id), menuId INTEGER NOT NULL,
  description TEXT NOT NULL, price REAL NOT NULL);
CREATE INDEX IF NOT EXISTS orderItem_orderId ON orderItem (orderId);
"""

# The JWT Pizza course's menu: (title, image, price in bitcoin, description).
MENU = [
    ("Veggie", "pizza1.png", 0.0038, "A garden of delight"),
    ("Pepperoni", "pizza2.png", 0.0042, "Spicy treat"),
    ("Margarita", "pizza3.png", 0.0042, "Essential classic"),
    ("Crusty", "pizza4.png", 0.0028, "A dry mouthed favorite"),
    ("Charred Leopard", "pizza5.png", 0.0099, "For those with a darker side"),
]
FRANCHISE, STORE = "pizzaPocket", "SLC"
ADMIN = {"name": "常用名字", "email": "a@jwt.com", "password": "admin"}


def open_db(path: str) -> sqlite3.Connection:
    """One autocommit connection (`transaction()` groups writes), schema created, data seeded.

    The connection is used from the event loop's thread only, but may be created in another
    (uvicorn's main thread, a test's thread), hence `check_same_thread=False`.
    """
    try:
        conn = sqlite3.connect(
            path if path == MEMORY_DB else str(Path(path).expanduser()),
            isolation_level=None,
            check_same_thread=False,
        )
        conn.row_factory = sqlite3.Row
        if path != MEMORY_DB:  # several workers share the file: readers never block the writer
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=5000")
        conn.executescript(SCHEMA)
        seed(conn)
    except sqlite3.Error as exc:
        raise ConfigError(
            "--db", f"cannot open {path!r}: {exc}", fix=f"give a writable file, or {MEMORY_DB}"
        ) from None
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection, *, immediate: bool = False) -> Iterator[None]:
    """All writes inside commit together or not at all."""
    conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def seed(conn: sqlite3.Connection) -> None:
    """The menu, the pizzaPocket franchise with its SLC store, and the admin; once per database.

    Safe when several workers start on one file at the same time: the check and the inserts run
    in one write transaction, so only the first worker seeds.
    """
    with transaction(conn, immediate=True):
        if conn.execute("SELECT COUNT(*) FROM menu").fetchone()[0]:
            return
        conn.executemany(
            "INSERT INTO menu (title, image, price, description) VALUES (?, ?, ?, ?)", MENU
        )
        franchise_id = conn.execute("INSERT INTO franchise (name) VALUES (?)", (FRANCHISE,))
        conn.execute(
            "INSERT INTO store (franchiseId, name) VALUES (?, ?)",
            (franchise_id.lastrowid, STORE),
        )
        admin = conn.execute(
            "INSERT INTO user (name, email, password) VALUES (?, ?, ?)",
            (ADMIN["name"], ADMIN["email"], hash_password(ADMIN["password"])),
        )
        conn.execute(
            "INSERT INTO userRole (userId, role, objectId) VALUES (?, 'admin', 0)",
            (admin.lastrowid,),
        )

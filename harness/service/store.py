"""The queries behind every route: diners and their roles, login tokens, the menu, franchises and
diner orders, each answering in the real service's JSON shape."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from harness.service.db import transaction

ORDERS_PER_PAGE = 10  # the real service's config.db.listPerPage


@dataclass(frozen=True)
class OrderItem:
    menu_id: int
    description: str
    price: float


def order_date() -> str:
    """Now, as the real service shows a MySQL DATETIME: whole seconds, ISO, UTC."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class PizzaStore:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def close(self) -> None:
        self.conn.close()

    # Diners -----------------------------------------------------------------------------------
    def add_user(self, name: str, email: str, password_hash: str, role: str = "diner") -> int:
        with transaction(self.conn):
            user = self.conn.execute(
                "INSERT INTO user (name, email, password) VALUES (?, ?, ?)",
                (name, email, password_hash),
            )
            assert user.lastrowid is not None
            self.conn.execute(
                "INSERT INTO userRole (userId, role, objectId) VALUES (?, ?, 0)",
                (user.lastrowid, role),
            )
        return user.lastrowid

    def user_by_email(self, email: str) -> sqlite3.Row | None:
        """The first user with this email (the real service allows duplicates, takes the first)."""
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT id, name, email, password FROM user WHERE email = ? ORDER BY id LIMIT 1",
            (email,),
        ).fetchone()
        return row

    def roles(self, user_id: int) -> list[dict[str, Any]]:
        """`[{"role": ...}]`, with `objectId` only where it is set (a franchisee's franchise)."""
        rows = self.conn.execute(
            "SELECT role, objectId FROM userRole WHERE userId = ? ORDER BY id", (user_id,)
        )
        return [
            {"objectId": r["objectId"], "role": r["role"]} if r["objectId"] else {"role": r["role"]}
            for r in rows
        ]

    # Login tokens (stored by signature, like the real service) --------------------------------
    def add_token(self, signature: str, user_id: int) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO auth (token, userId) VALUES (?, ?)", (signature, user_id)
        )

    def has_token(self, signature: str) -> bool:
        found = self.conn.execute("SELECT 1 FROM auth WHERE token = ?", (signature,)).fetchone()
        return found is not None

    def remove_token(self, signature: str) -> None:
        self.conn.execute("DELETE FROM auth WHERE token = ?", (signature,))

    # Menu -------------------------------------------------------------------------------------
    def menu(self) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT id, title, image, price, description FROM menu ORDER BY id"
        )
        return [dict(r) for r in rows]

    def unknown_menu_ids(self, menu_ids: set[int]) -> set[int]:
        marks = ",".join("?" * len(menu_ids))
        known = self.conn.execute(f"SELECT id FROM menu WHERE id IN ({marks})", tuple(menu_ids))
        return menu_ids - {r["id"] for r in known}

    # Franchises -------------------------------------------------------------------------------
    def franchises(
        self, page: int, limit: int, name_filter: str, *, admin: bool
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page of franchises whose name matches (`*` is a wildcard), and whether more follow.

        An admin also sees each franchise's admins and each store's totalRevenue.
        """
        rows = self.conn.execute(
            "SELECT id, name FROM franchise WHERE name LIKE ? ORDER BY id LIMIT ? OFFSET ?",
            (name_filter.replace("*", "%"), limit + 1, page * limit),
        ).fetchall()
        franchises = [dict(r) for r in rows[:limit]]
        for franchise in franchises:
            if admin:
                franchise["admins"] = self._franchise_admins(franchise["id"])
                franchise["stores"] = self._stores_with_revenue(franchise["id"])
            else:
                franchise["stores"] = self._stores(franchise["id"])
        return franchises, len(rows) > limit

    def _stores(self, franchise_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT id, name FROM store WHERE franchiseId = ? ORDER BY id", (franchise_id,)
        )
        return [dict(r) for r in rows]

    def _stores_with_revenue(self, franchise_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT s.id, s.name, COALESCE(SUM(oi.price), 0) AS totalRevenue FROM store AS s "
            "LEFT JOIN dinerOrder AS do ON do.storeId = s.id "
            "LEFT JOIN orderItem AS oi ON oi.orderId = do.id "
            "WHERE s.franchiseId = ? GROUP BY s.id ORDER BY s.id",
            (franchise_id,),
        )
        return [dict(r) for r in rows]

    def _franchise_admins(self, franchise_id: int) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT u.id, u.name, u.email FROM userRole AS ur JOIN user AS u ON u.id = ur.userId "
            "WHERE ur.objectId = ? AND ur.role = 'franchisee' ORDER BY u.id",
            (franchise_id,),
        )
        return [dict(r) for r in rows]

    # Diner orders -----------------------------------------------------------------------------
    def add_order(
        self, diner_id: int, franchise_id: int, store_id: int, items: list[OrderItem]
    ) -> tuple[int, str]:
        """Stores the order and its items together; returns the order's id and date."""
        date = order_date()
        with transaction(self.conn):
            order = self.conn.execute(
                "INSERT INTO dinerOrder (dinerId, franchiseId, storeId, date) VALUES (?, ?, ?, ?)",
                (diner_id, franchise_id, store_id, date),
            )
            assert order.lastrowid is not None
            self.conn.executemany(
                "INSERT INTO orderItem (orderId, menuId, description, price) VALUES (?, ?, ?, ?)",
                [(order.lastrowid, i.menu_id, i.description, i.price) for i in items],
            )
        return order.lastrowid, date

    def orders(self, diner_id: int, page: int) -> list[dict[str, Any]]:
        """One page (from 1) of the diner's orders, each with its items."""
        rows = self.conn.execute(
            "SELECT id, franchiseId, storeId, date FROM dinerOrder WHERE dinerId = ? "
            "ORDER BY id LIMIT ? OFFSET ?",
            (diner_id, ORDERS_PER_PAGE, max(page - 1, 0) * ORDERS_PER_PAGE),
        )
        orders = [dict(r) for r in rows]
        for order in orders:
            items = self.conn.execute(
                "SELECT id, menuId, description, price FROM orderItem WHERE orderId = ? "
                "ORDER BY id",
                (order["id"],),
            )
            order["items"] = [dict(i) for i in items]
        return orders

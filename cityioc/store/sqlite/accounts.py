"""User accounts and sessions in SQLite, written through the single writer like everything else."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any, Final

from cityioc.accounts.records import (
    SESSION_COLUMNS,
    USER_COLUMNS,
    SessionRecord,
    UserRecord,
    assignments,
)
from cityioc.core.errors import AlreadyExists
from cityioc.store.sqlite.engine import SqliteEngine

_USER_MARKS: Final = ", ".join("?" * 14)
_SESSION_MARKS: Final = ", ".join("?" * 8)
_JOINED: Final = (
    "SELECT "
    + ", ".join(f"s.{c.strip()}" for c in SESSION_COLUMNS.split(","))
    + ", "
    + ", ".join(f"u.{c.strip()}" for c in USER_COLUMNS.split(","))
    + " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?"
)
_FAILURE: Final = (
    "UPDATE users SET"
    " failed_attempts = CASE WHEN failed_attempts + 1 >= ? THEN 0 ELSE failed_attempts + 1 END,"
    " locked_until = CASE WHEN failed_attempts + 1 >= ? THEN ? ELSE locked_until END"
    " WHERE id = ? RETURNING failed_attempts"
)


def _add_user(conn: sqlite3.Connection, user: UserRecord) -> None:
    try:
        conn.execute(f"INSERT INTO users ({USER_COLUMNS}) VALUES ({_USER_MARKS})", user.values())
    except sqlite3.IntegrityError as err:
        raise AlreadyExists(f"user {user.username} already exists") from err


def _update_user(
    conn: sqlite3.Connection, user_id: str, changes: Mapping[str, Any]
) -> UserRecord | None:
    if changes:
        sets, values = assignments(changes, "?")
        conn.execute(f"UPDATE users SET {sets} WHERE id = ?", [*values, user_id])
    row = conn.execute(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone()
    return UserRecord.from_row(row) if row else None


def _record_login(
    conn: sqlite3.Connection, user_id: str, at: int, password_hash: str | None
) -> None:
    conn.execute(
        "UPDATE users SET failed_attempts = 0, locked_until = NULL, last_login_at = ?,"
        " password_hash = coalesce(?, password_hash) WHERE id = ?",
        (at, password_hash, user_id),
    )


class SqliteAccounts:
    """``Store.accounts`` of the SQLite adapter."""

    def __init__(self, engine: SqliteEngine) -> None:
        self.engine = engine

    async def add_user(self, user: UserRecord) -> None:
        await self.engine.write(lambda c: _add_user(c, user))

    async def get_user(self, user_id: str) -> UserRecord | None:
        return await self._one_user("id = ?", user_id)

    async def find_user(self, username: str) -> UserRecord | None:
        return await self._one_user("lower(username) = lower(?)", username)

    async def list_users(self) -> list[UserRecord]:
        rows = await self.engine.read(
            lambda c: c.execute(f"SELECT {USER_COLUMNS} FROM users ORDER BY username").fetchall()
        )
        return [UserRecord.from_row(r) for r in rows]

    async def update_user(self, user_id: str, changes: Mapping[str, Any]) -> UserRecord | None:
        return await self.engine.write(lambda c: _update_user(c, user_id, changes))

    async def record_failure(self, user_id: str, max_failures: int, lock_until: int) -> bool:
        row = await self.engine.write(
            lambda c: c.execute(
                _FAILURE, (max_failures, max_failures, lock_until, user_id)
            ).fetchone()
        )
        return row is not None and row[0] == 0  # the count restarts only when it locks

    async def record_login(self, user_id: str, at: int, password_hash: str | None) -> None:
        await self.engine.write(lambda c: _record_login(c, user_id, at, password_hash))

    async def add_session(self, session: SessionRecord) -> None:
        await self.engine.write(
            lambda c: c.execute(
                f"INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ({_SESSION_MARKS})",
                session.values(),
            )
        )

    async def find_session(self, id_hash: str) -> tuple[SessionRecord, UserRecord] | None:
        row = await self.engine.read(lambda c: c.execute(_JOINED, (id_hash,)).fetchone())
        if row is None:
            return None
        return SessionRecord.from_row(row[:8]), UserRecord.from_row(row[8:])

    async def touch_session(self, id_hash: str, at: int) -> None:
        await self._change("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", (at, id_hash))

    async def delete_session(self, id_hash: str) -> bool:
        return await self._change("DELETE FROM sessions WHERE id_hash = ?", (id_hash,)) > 0

    async def delete_sessions_of(self, user_id: str, keep: str | None = None) -> int:
        return await self._change(
            "DELETE FROM sessions WHERE user_id = ? AND id_hash IS NOT ?", (user_id, keep)
        )

    async def delete_expired_sessions(self, now: int, idle_since: int) -> int:
        return await self._change(
            "DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at < ?", (now, idle_since)
        )

    async def _one_user(self, where: str, value: str) -> UserRecord | None:
        row = await self.engine.read(
            lambda c: c.execute(
                f"SELECT {USER_COLUMNS} FROM users WHERE {where}", (value,)
            ).fetchone()
        )
        return UserRecord.from_row(row) if row else None

    async def _change(self, sql: str, params: tuple[Any, ...]) -> int:
        return await self.engine.write(lambda c: int(c.execute(sql, params).rowcount))

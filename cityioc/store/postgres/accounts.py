"""User accounts and sessions in PostgreSQL; each call is one statement or one transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from psycopg import AsyncConnection
from psycopg.errors import UniqueViolation
from psycopg_pool import AsyncConnectionPool

from cityioc.accounts.records import (
    SESSION_COLUMNS,
    USER_COLUMNS,
    SessionRecord,
    UserRecord,
    assignments,
)
from cityioc.core.errors import AlreadyExists

Pool = AsyncConnectionPool[AsyncConnection[tuple[Any, ...]]]
_USER_MARKS: Final = ", ".join(["%s"] * 14)
_SESSION_MARKS: Final = ", ".join(["%s"] * 8)
_JOINED: Final = (
    "SELECT "
    + ", ".join(f"s.{c.strip()}" for c in SESSION_COLUMNS.split(","))
    + ", "
    + ", ".join(f"u.{c.strip()}" for c in USER_COLUMNS.split(","))
    + " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = %s"
)
# Right-hand sides see the row before the update, in PostgreSQL as in SQLite.
_FAILURE: Final = (
    "UPDATE users SET"
    " failed_attempts = CASE WHEN failed_attempts + 1 >= %s THEN 0 ELSE failed_attempts + 1 END,"
    " locked_until = CASE WHEN failed_attempts + 1 >= %s THEN %s ELSE locked_until END"
    " WHERE id = %s RETURNING failed_attempts"
)


class PostgresAccounts:
    """``Store.accounts`` of the PostgreSQL adapter."""

    def __init__(self, pool: Callable[[], Pool]) -> None:
        self._pool = pool  # the store opens its pool later than it builds this object

    async def add_user(self, user: UserRecord) -> None:
        try:
            await self._rows(
                f"INSERT INTO users ({USER_COLUMNS}) VALUES ({_USER_MARKS})", user.values()
            )
        except UniqueViolation as err:
            raise AlreadyExists(f"user {user.username} already exists") from err

    async def get_user(self, user_id: str) -> UserRecord | None:
        rows = await self._rows(f"SELECT {USER_COLUMNS} FROM users WHERE id = %s", (user_id,))
        return UserRecord.from_row(rows[0]) if rows else None

    async def find_user(self, username: str) -> UserRecord | None:
        rows = await self._rows(
            f"SELECT {USER_COLUMNS} FROM users WHERE lower(username) = lower(%s)", (username,)
        )
        return UserRecord.from_row(rows[0]) if rows else None

    async def list_users(self) -> list[UserRecord]:
        rows = await self._rows(f"SELECT {USER_COLUMNS} FROM users ORDER BY username", ())
        return [UserRecord.from_row(r) for r in rows]

    async def update_user(self, user_id: str, changes: Mapping[str, Any]) -> UserRecord | None:
        if not changes:
            return await self.get_user(user_id)
        sets, values = assignments(changes, "%s")
        rows = await self._rows(
            f"UPDATE users SET {sets} WHERE id = %s RETURNING {USER_COLUMNS}", (*values, user_id)
        )
        return UserRecord.from_row(rows[0]) if rows else None

    async def record_failure(self, user_id: str, max_failures: int, lock_until: int) -> bool:
        rows = await self._rows(_FAILURE, (max_failures, max_failures, lock_until, user_id))
        return bool(rows) and rows[0][0] == 0  # the count restarts only when it locks

    async def record_login(self, user_id: str, at: int, password_hash: str | None) -> None:
        await self._rows(
            "UPDATE users SET failed_attempts = 0, locked_until = NULL, last_login_at = %s,"
            " password_hash = coalesce(%s, password_hash) WHERE id = %s",
            (at, password_hash, user_id),
        )

    async def add_session(self, session: SessionRecord) -> None:
        await self._rows(
            f"INSERT INTO sessions ({SESSION_COLUMNS}) VALUES ({_SESSION_MARKS})", session.values()
        )

    async def find_session(self, id_hash: str) -> tuple[SessionRecord, UserRecord] | None:
        rows = await self._rows(_JOINED, (id_hash,))
        if not rows:
            return None
        return SessionRecord.from_row(rows[0][:8]), UserRecord.from_row(rows[0][8:])

    async def touch_session(self, id_hash: str, at: int) -> None:
        await self._rows("UPDATE sessions SET last_seen_at = %s WHERE id_hash = %s", (at, id_hash))

    async def delete_session(self, id_hash: str) -> bool:
        return await self._count("DELETE FROM sessions WHERE id_hash = %s", (id_hash,)) > 0

    async def delete_sessions_of(self, user_id: str, keep: str | None = None) -> int:
        return await self._count(
            "DELETE FROM sessions WHERE user_id = %s AND id_hash IS DISTINCT FROM %s",
            (user_id, keep),
        )

    async def delete_expired_sessions(self, now: int, idle_since: int) -> int:
        return await self._count(
            "DELETE FROM sessions WHERE expires_at <= %s OR last_seen_at < %s", (now, idle_since)
        )

    async def _rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        async with self._pool().connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchall() if cur.description else []

    async def _count(self, sql: str, params: tuple[Any, ...]) -> int:
        async with self._pool().connection() as conn:
            cur = await conn.execute(sql, params)
            return cur.rowcount

"""Dead letters in PostgreSQL: plain rows, the payload as ``bytea``."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from psycopg import AsyncConnection, AsyncCursor
from psycopg_pool import AsyncConnectionPool

from cityioc.store.dead_letter_records import (
    COLUMNS,
    INSERT_COLUMNS,
    DeadLetter,
    DeadLetterFilter,
    Status,
)

Cursor = AsyncCursor[tuple[Any, ...]]
Pool = AsyncConnectionPool[AsyncConnection[tuple[Any, ...]]]
_INSERT = (
    f"INSERT INTO dead_letters ({INSERT_COLUMNS})"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"
)


async def add(cur: Cursor, letters: Sequence[DeadLetter]) -> list[int]:
    ids = []
    await cur.executemany(_INSERT, [d.insert_values() for d in letters], returning=True)
    while True:
        row = await cur.fetchone()
        if row is not None:
            ids.append(int(row[0]))
        if not cur.nextset():
            return ids


async def find(cur: Cursor, wanted: DeadLetterFilter) -> tuple[list[DeadLetter], int]:
    where, params = wanted.where("%s")
    await cur.execute(f"SELECT count(*) FROM dead_letters{where}", params)
    counted = await cur.fetchone()
    await cur.execute(
        f"SELECT {COLUMNS} FROM dead_letters{where} ORDER BY id DESC LIMIT %s OFFSET %s",
        [*params, wanted.limit, wanted.offset],
    )
    rows = await cur.fetchall()
    return [DeadLetter.from_row(r) for r in rows], int(counted[0]) if counted else 0


async def get(cur: Cursor, letter_id: int) -> DeadLetter | None:
    await cur.execute(f"SELECT {COLUMNS} FROM dead_letters WHERE id = %s", (letter_id,))
    row = await cur.fetchone()
    return DeadLetter.from_row(row) if row else None


async def mark(cur: Cursor, ids: Collection[int], status: str, at: int) -> int:
    """Set the status; ``replayed`` records when, ``purged`` also empties the payload."""
    if status == "purged":
        await cur.execute(
            "UPDATE dead_letters SET status = %s, payload = ''::bytea WHERE id = ANY(%s)",
            (status, list(ids)),
        )
    else:
        await cur.execute(
            "UPDATE dead_letters SET status = %s, replayed_at = %s WHERE id = ANY(%s)",
            (status, at, list(ids)),
        )
    return cur.rowcount


class PostgresDeadLetters:
    """``Store.dead_letters`` of the PostgreSQL adapter; each call is one transaction."""

    def __init__(self, pool: Callable[[], Pool]) -> None:
        self._pool = pool  # the store opens its pool later than it builds this object

    async def add(self, letters: Sequence[DeadLetter]) -> list[int]:
        if not letters:
            return []
        async with self._pool().connection() as conn, conn.transaction():
            return await add(conn.cursor(), letters)

    async def find(self, wanted: DeadLetterFilter) -> tuple[list[DeadLetter], int]:
        async with self._pool().connection() as conn, conn.transaction():
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return await find(conn.cursor(), wanted)

    async def get(self, letter_id: int) -> DeadLetter | None:
        async with self._pool().connection() as conn:
            return await get(conn.cursor(), letter_id)

    async def mark(self, ids: Collection[int], status: Status, at: int) -> int:
        if not ids:
            return 0
        async with self._pool().connection() as conn, conn.transaction():
            return await mark(conn.cursor(), ids, status, at)

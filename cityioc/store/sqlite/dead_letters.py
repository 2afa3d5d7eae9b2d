"""Dead letters in SQLite: plain rows, written through the single writer like everything else."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence

from cityioc.store.dead_letter_records import (
    COLUMNS,
    INSERT_COLUMNS,
    DeadLetter,
    DeadLetterFilter,
    Status,
)
from cityioc.store.sqlite.engine import SqliteEngine
from cityioc.store.sqlite.entities import chunks

_INSERT = f"INSERT INTO dead_letters ({INSERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def add(conn: sqlite3.Connection, letters: Sequence[DeadLetter]) -> list[int]:
    # One statement per letter: RETURNING with executemany is not supported by sqlite3.
    return [int(conn.execute(_INSERT, letter.insert_values()).lastrowid or 0) for letter in letters]


def find(conn: sqlite3.Connection, wanted: DeadLetterFilter) -> tuple[list[DeadLetter], int]:
    where, params = wanted.where("?")
    total = conn.execute(f"SELECT count(*) FROM dead_letters{where}", params).fetchone()[0]
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM dead_letters{where} ORDER BY id DESC LIMIT ? OFFSET ?",
        [*params, wanted.limit, wanted.offset],
    ).fetchall()
    return [DeadLetter.from_row(r) for r in rows], int(total)


def get(conn: sqlite3.Connection, letter_id: int) -> DeadLetter | None:
    row = conn.execute(f"SELECT {COLUMNS} FROM dead_letters WHERE id = ?", (letter_id,)).fetchone()
    return DeadLetter.from_row(row) if row else None


def mark(conn: sqlite3.Connection, ids: Collection[int], status: str, at: int) -> int:
    """Set the status; ``replayed`` records when, ``purged`` also empties the payload."""
    changed = 0
    for part in chunks(list(ids)):
        marks = ",".join("?" * len(part))
        if status == "purged":
            sql = f"UPDATE dead_letters SET status = ?, payload = x'' WHERE id IN ({marks})"
            changed += conn.execute(sql, [status, *part]).rowcount
        else:
            sql = f"UPDATE dead_letters SET status = ?, replayed_at = ? WHERE id IN ({marks})"
            changed += conn.execute(sql, [status, at, *part]).rowcount
    return changed


class SqliteDeadLetters:
    """``Store.dead_letters`` of the SQLite adapter."""

    def __init__(self, engine: SqliteEngine) -> None:
        self.engine = engine

    async def add(self, letters: Sequence[DeadLetter]) -> list[int]:
        return await self.engine.write(lambda c: add(c, letters)) if letters else []

    async def find(self, wanted: DeadLetterFilter) -> tuple[list[DeadLetter], int]:
        return await self.engine.read(lambda c: find(c, wanted))

    async def get(self, letter_id: int) -> DeadLetter | None:
        return await self.engine.read(lambda c: get(c, letter_id))

    async def mark(self, ids: Collection[int], status: Status, at: int) -> int:
        return await self.engine.write(lambda c: mark(c, ids, status, at)) if ids else 0

"""Many rows in one SQLite statement, for the writer thread.

``executemany`` and row-by-row fetches let go of the GIL around each row's ``sqlite3_step`` and
must take it back; with the event loop busy, each take-back waits its turn, so a write of a few
hundred rows can hold the writer for tens of milliseconds (scripts/sqlite_gil_handoff.py). These
helpers send the rows as one JSON array (``json_each``) or get them back as one
(``json_group_array``): one step, one hand-over. Binary values travel as one concatenated blob
cut with ``substr`` on the way in, and as hex on the way out.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

from cityioc.store.blocks import Block

_INSERT_BLOCKS = (
    "INSERT INTO sample_blocks (sid, t0, t1, n, data)"
    " SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3,"
    " substr(?2, value ->> 4, value ->> 5) FROM json_each(?1)"
)
_DELETE_BLOCKS = (
    "DELETE FROM sample_blocks WHERE (sid, t0) IN"
    " (SELECT value ->> 0, value ->> 1 FROM json_each(?))"
)


def insert_blocks(conn: sqlite3.Connection, blocks: Sequence[Block]) -> None:
    if not blocks:
        return
    rows, start = [], 1  # substr counts from 1
    for sid, t0, t1, n, data in blocks:
        rows.append((sid, t0, t1, n, start, len(data)))
        start += len(data)
    conn.execute(_INSERT_BLOCKS, (orjson.dumps(rows), b"".join(b[4] for b in blocks)))


def delete_blocks(conn: sqlite3.Connection, keys: Sequence[tuple[int, int]]) -> None:
    """Delete the blocks with these (sid, t0)."""
    if keys:
        conn.execute(_DELETE_BLOCKS, (orjson.dumps(keys),))


def rows_of(
    conn: sqlite3.Connection, columns: Sequence[str], rest: str, params: Sequence[Any] = ()
) -> list[list[Any]]:
    """The rows of ``SELECT {columns} {rest}`` in its order (plain SQL values: no blobs)."""
    named = ", ".join(f"{c} AS c{i}" for i, c in enumerate(columns))
    picked = ", ".join(f"c{i}" for i in range(len(columns)))
    sql = f"SELECT json_group_array(json_array({picked})) FROM (SELECT {named} {rest})"
    return orjson.loads(conn.execute(sql, params).fetchone()[0])  # type: ignore[no-any-return]

"""Rows in one SQLite statement: binary blocks (NUL bytes too) in and out unchanged, order kept."""

from __future__ import annotations

import random
import sqlite3

from cityioc.store.sqlite.one_statement import delete_blocks, insert_blocks, rows_of


def _db() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE TABLE sample_blocks (sid INTEGER NOT NULL, t0 INTEGER NOT NULL,"
        " t1 INTEGER NOT NULL, n INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (sid, t0))"
        " WITHOUT ROWID"
    )
    return conn


def test_blocks_go_in_and_come_out_byte_for_byte() -> None:
    rng = random.Random(3)
    blocks = [
        (sid, t0, t0 + 10, 5, bytes(rng.randrange(256) for _ in range(rng.randrange(1, 3000))))
        for sid in range(40)
        for t0 in (0, 1_000)
    ]
    blocks.append((99, 5, 6, 1, b"\x00\x00\x01\x00"))
    conn = _db()
    insert_blocks(conn, blocks)
    columns = ("sid", "t0", "t1", "n", "hex(data)")
    back = rows_of(conn, columns, "FROM sample_blocks ORDER BY sid, t0")
    assert [(s, a, b, n, bytes.fromhex(d)) for s, a, b, n, d in back] == sorted(blocks)


def test_delete_blocks_by_key_and_rows_in_order() -> None:
    conn = _db()
    insert_blocks(conn, [(sid, t0, t0, 1, b"x") for sid in range(5) for t0 in range(3)])
    delete_blocks(conn, [(1, 0), (3, 2), (4, 9)])
    keys = rows_of(conn, ("sid", "t0"), "FROM sample_blocks ORDER BY sid DESC, t0")
    expected = [
        [s, t] for s in range(4, -1, -1) for t in range(3) if (s, t) not in {(1, 0), (3, 2)}
    ]
    assert keys == expected
    assert rows_of(conn, ("sid",), "FROM sample_blocks WHERE sid > 10") == []

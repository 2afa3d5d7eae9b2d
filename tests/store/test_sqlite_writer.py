"""The SQLite writer: group commit, and urgent jobs committed before the bulk queued with them."""

from __future__ import annotations

import asyncio
import math
import random
import sqlite3
import struct
import threading
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest

from cityioc.store.sqlite.engine import SqliteEngine
from cityioc.store.sqlite.series import INSERT_NEW


async def test_jobs_waiting_together_share_one_commit(tmp_path: Path) -> None:
    engine = SqliteEngine(tmp_path / "w.db")
    engine.start()
    try:
        await engine.write(lambda c: c.execute("CREATE TABLE t (x INTEGER)"))
        before = engine.commits

        def insert(i: int) -> Callable[[sqlite3.Connection], object]:
            return lambda c: c.execute("INSERT INTO t VALUES (?)", (i,))

        await asyncio.gather(*(engine.write(insert(i)) for i in range(50)))
        assert engine.commits - before <= 2  # the first alone at most, the rest together
        rows = await engine.read(lambda c: c.execute("SELECT count(*) FROM t").fetchone()[0])
        assert rows == 50
    finally:
        await engine.close()


async def test_a_failing_job_is_undone_alone_or_in_company(tmp_path: Path) -> None:
    engine = SqliteEngine(tmp_path / "w.db")
    engine.start()
    try:
        await engine.write(lambda c: c.execute("CREATE TABLE t (x INTEGER)"))

        def insert(i: int, fail: bool = False) -> Callable[[sqlite3.Connection], object]:
            def job(c: sqlite3.Connection) -> None:
                c.execute("INSERT INTO t VALUES (?)", (i,))
                if fail:
                    raise ValueError(f"job {i} failed after writing")

            return job

        with pytest.raises(ValueError, match="job 1"):  # alone in its commit: no savepoint
            await engine.write(insert(1, fail=True))
        together = await asyncio.gather(
            *(engine.write(insert(i, fail=i == 5)) for i in range(2, 9)), return_exceptions=True
        )
        assert [type(r).__name__ for r in together].count("ValueError") == 1
        rows = await engine.read(lambda c: [r[0] for r in c.execute("SELECT x FROM t ORDER BY x")])
        assert rows == [2, 3, 4, 6, 7, 8]
        await engine.write(insert(9))  # the writer goes on
        assert await engine.read(lambda c: c.execute("SELECT max(x) FROM t").fetchone()[0]) == 9
    finally:
        await engine.close()


async def test_an_urgent_job_commits_before_the_bulk_queued_with_it(tmp_path: Path) -> None:
    engine = SqliteEngine(tmp_path / "w.db")
    engine.start()
    order: list[str] = []
    release = threading.Event()

    def blocker(conn: sqlite3.Connection) -> None:
        release.wait(5)  # holds the writer while the others queue up behind it

    def job(name: str) -> Callable[[sqlite3.Connection], int]:
        def run(conn: sqlite3.Connection) -> int:
            order.append(name)
            return engine.commits  # the commits before this one's: which commit it is in

        return run

    try:
        blocking = asyncio.ensure_future(engine.write(blocker))
        await asyncio.sleep(0.05)
        bulk = [asyncio.ensure_future(engine.write(job(f"bulk{i}"))) for i in range(3)]
        urgent = asyncio.ensure_future(engine.write(job("urgent"), urgent=True))
        await asyncio.sleep(0.05)
        release.set()
        await blocking
        in_commit = await urgent
        bulk_commits = await asyncio.gather(*bulk)
        assert order == ["urgent", "bulk0", "bulk1", "bulk2"]
        assert all(n > in_commit for n in bulk_commits)  # its own commit, not theirs
    finally:
        release.set()
        await engine.close()


async def test_the_wal_is_checkpointed_beside_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    engine = SqliteEngine(path)
    engine.start()
    try:
        auto = await engine.write(lambda c: c.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
        assert auto == 0  # commits never checkpoint
        await engine.write(lambda c: c.execute("CREATE TABLE t (x BLOB)"))
        size_before = path.stat().st_size
        for _ in range(20):
            await engine.write(
                lambda c: c.executemany("INSERT INTO t VALUES (?)", [(b"x" * 4000,)] * 50)
            )
        for _ in range(100):  # the checkpointer copies the WAL into the database file
            if path.stat().st_size > size_before + 3_000_000:
                break
            await asyncio.sleep(0.05)
        assert path.stat().st_size > size_before + 3_000_000
        assert engine.checkpoints > 0
    finally:
        await engine.close()


def test_numbers_cross_the_json_array_exactly() -> None:
    """The hot samples travel as one JSON array (series.INSERT_NEW): every float, however odd its
    bits, and every 64-bit time must come back out of SQLite unchanged."""
    rng = random.Random(7)
    values = [rng.uniform(-1e6, 1e6) for _ in range(20_000)]
    values += [struct.unpack("d", struct.pack("Q", rng.getrandbits(62)))[0] for _ in range(20_000)]
    values += [round(rng.uniform(0, 500), 1) for _ in range(20_000)]
    values += [5e-324, 1.7976931348623157e308, 0.1, 1 / 3, -0.0, 0.0, 2.0**53 + 1]
    values = [v for v in values if math.isfinite(v)]
    times = [rng.randrange(-(2**62), 2**62) for _ in values]
    conn = sqlite3.connect(":memory:")
    conn.execute(
        "CREATE TABLE samples_new (sid INTEGER NOT NULL, t INTEGER NOT NULL, v REAL, j TEXT)"
    )
    rows = [(i, t, v, None) for i, (t, v) in enumerate(zip(times, values, strict=True))]
    conn.execute(INSERT_NEW, (orjson.dumps(rows),))
    back = conn.execute("SELECT t, v FROM samples_new ORDER BY sid").fetchall()
    assert [t for t, _ in back] == times
    assert [v for _, v in back] == values

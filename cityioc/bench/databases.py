"""Fresh databases for each benchmark, and the raw-SQL references measured beside the server.

A ``Backend`` hands out fresh databases: a SQLite file in a temporary directory, or a new
``cityioc_bench_<random>`` PostgreSQL database that is dropped afterwards. A ``Database`` also
answers the questions the references need: table sizes, raw appends into an unindexed table, and
timed SQL.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from cityioc.bench.readings import RawBatch
from cityioc.core.clock import SystemClock
from cityioc.store.factory import make_store
from cityioc.store.port import SeriesKey

POSTGRES_ADMIN_URL = os.environ.get(
    "CITYIOC_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)
RAW_TABLE = "raw_append"


@dataclass(frozen=True, slots=True)
class RawAppend:
    rows: int
    seconds: float
    bytes: int  # the table's size afterwards (it has no index)

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


class Database(Protocol):
    kind: str
    url: str
    workdir: Path

    def table_bytes(self) -> dict[str, int]: ...
    def row(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None: ...
    def timed(self, sql: str, params: Sequence[Any], times: int) -> list[float]: ...
    def raw_append(self, batches: Sequence[RawBatch], max_seconds: float) -> RawAppend: ...
    def settle(self, max_seconds: float) -> float: ...


@dataclass(frozen=True, slots=True)
class Backend:
    name: str  # as the report shows it
    kind: str  # "sqlite" | "postgresql"
    version: str
    skip: str | None = None  # why it is not run, if it is not

    @contextmanager
    def fresh(self, workdir: Path) -> Iterator[Database]:
        if self.kind == "sqlite":
            yield SqliteDatabase(workdir / f"bench-{secrets.token_hex(4)}.db", workdir)
            return
        name = f"cityioc_bench_{secrets.token_hex(5)}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        try:
            yield PostgresDatabase(POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name, workdir)
        finally:
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def detect_backends(wanted: Sequence[str]) -> list[Backend]:
    out = []
    if "sqlite" in wanted:
        out.append(Backend("SQLite", "sqlite", sqlite3.sqlite_version))
    if "postgresql" in wanted:
        out.append(_postgres_backend())
    return out


def _postgres_backend() -> Backend:
    try:
        import cityioc.store.postgres.store  # noqa: F401  (the adapter must at least import)
    except Exception as err:  # any import failure means the adapter is not ready
        return Backend(
            "PostgreSQL", "postgresql", "?", f"not run: the adapter does not import ({err})"
        )
    try:
        version = str(_pg_admin("SHOW server_version"))
    except Exception as err:  # no server: say so in the report rather than fail the run
        reason = str(err).strip().split("\n", 1)[0] or type(err).__name__
        return Backend("PostgreSQL", "postgresql", "?", f"not run: no server ({reason})")
    return Backend("PostgreSQL", "postgresql", version.split(maxsplit=1)[0])


def _pg_admin(sql: str) -> Any:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True, connect_timeout=3) as conn:
        cur = conn.execute(sql.encode())
        row = cur.fetchone() if cur.description else None
        return row[0] if row else None


@contextmanager
def scratch_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="cityioc-bench-") as tmp:
        yield Path(tmp)


class SqliteDatabase:
    kind = "sqlite"

    def __init__(self, path: Path, workdir: Path) -> None:
        self.path = path
        self.workdir = workdir
        self.url = f"sqlite:///{path}"

    def _connect(self, path: Path | None = None) -> sqlite3.Connection:
        from cityioc.store.sqlite.engine import connect

        return connect(path or self.path)  # the store's own pragmas: WAL, synchronous=FULL

    def table_bytes(self) -> dict[str, int]:
        """Bytes of each table with its indexes: the pages ``dbstat`` counts per table."""
        conn = self._connect()
        try:
            rows = conn.execute(
                "SELECT s.tbl_name, sum(d.pgsize) FROM dbstat d JOIN sqlite_schema s"
                " ON d.name = s.name GROUP BY s.tbl_name"
            ).fetchall()
        finally:
            conn.close()
        return {name: int(size) for name, size in rows}

    def row(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        conn = self._connect()
        try:
            found = conn.execute(sql, list(params)).fetchone()
        finally:
            conn.close()
        return tuple(found) if found is not None else None

    def settle(self, max_seconds: float) -> float:
        """Wait until the store has compacted its hot samples (if its layout has them)."""
        started = time.monotonic()
        if not self.row("SELECT 1 FROM sqlite_schema WHERE name = 'samples_hot'"):
            return 0.0
        while time.monotonic() - started < max_seconds:
            found = self.row(
                "SELECT (SELECT count(*) FROM samples_hot) + (SELECT count(*) FROM samples_new)"
            )
            if found is not None and found[0] == 0:
                break
            time.sleep(0.5)
        return time.monotonic() - started

    def timed(self, sql: str, params: Sequence[Any], times: int) -> list[float]:
        conn = self._connect()
        try:
            out = []
            for _ in range(times):
                started = time.perf_counter()
                conn.execute(sql, list(params)).fetchall()
                out.append(time.perf_counter() - started)
            return out
        finally:
            conn.close()

    def raw_append(self, batches: Sequence[RawBatch], max_seconds: float) -> RawAppend:
        """``executemany`` into an unindexed table of a fresh file, one commit per batch."""
        path = self.workdir / f"raw-{secrets.token_hex(4)}.db"
        conn = self._connect(path)
        try:
            conn.execute(f"CREATE TABLE {RAW_TABLE} (sid INTEGER, t INTEGER, v REAL, j TEXT)")
            prepared = [
                list(zip(b.sid.tolist(), b.t.tolist(), b.v.tolist(), [None] * len(b), strict=True))
                for b in batches
            ]
            rows, started = 0, time.perf_counter()
            for batch in prepared:
                conn.execute("BEGIN")
                conn.executemany(f"INSERT INTO {RAW_TABLE} VALUES (?, ?, ?, ?)", batch)
                conn.execute("COMMIT")
                rows += len(batch)
                if time.perf_counter() - started > max_seconds:
                    break
            seconds = time.perf_counter() - started
        finally:
            conn.close()
        size = SqliteDatabase(path, self.workdir).table_bytes()[RAW_TABLE]
        return RawAppend(rows, seconds, size)


class PostgresDatabase:
    kind = "postgresql"

    def __init__(self, url: str, workdir: Path) -> None:
        self.url = url
        self.workdir = workdir

    def _connect(self) -> Any:
        import psycopg

        return psycopg.connect(self.url, autocommit=True, connect_timeout=5)

    def table_bytes(self) -> dict[str, int]:
        """``pg_total_relation_size`` of each table: heap, indexes and TOAST."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT tablename, pg_total_relation_size(quote_ident(tablename))"
                " FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
            return {name: int(size) for name, size in rows}

    def row(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self._connect() as conn:
            found = conn.execute(sql.replace("?", "%s"), list(params)).fetchone()
            return tuple(found) if found is not None else None

    def settle(self, max_seconds: float) -> float:
        """Wait until the store has compacted its hot samples (if its layout has them), then
        refresh planner statistics, as autovacuum would have for data this old."""
        started = time.monotonic()
        with self._connect() as conn:
            blocks = conn.execute("SELECT to_regclass('sample_blocks') IS NOT NULL").fetchone()
            while blocks and blocks[0] and time.monotonic() - started < max_seconds:
                hot = conn.execute("SELECT EXISTS (SELECT 1 FROM samples)").fetchone()
                if hot is None or not hot[0]:
                    break
                time.sleep(0.5)
            conn.execute("ANALYZE")
        return time.monotonic() - started

    def timed(self, sql: str, params: Sequence[Any], times: int) -> list[float]:
        query = sql.replace("?", "%s")
        with self._connect() as conn:
            out = []
            for _ in range(times):
                started = time.perf_counter()
                conn.execute(query, list(params)).fetchall()
                out.append(time.perf_counter() - started)
            return out

    def raw_append(self, batches: Sequence[RawBatch], max_seconds: float) -> RawAppend:
        """Binary COPY into an unindexed table, one commit per batch (payloads built beforehand)."""
        payloads = [_copy_binary(b) for b in batches]
        with self._connect() as conn:
            conn.execute(
                f"CREATE TABLE {RAW_TABLE} (sid INTEGER, t BIGINT, v DOUBLE PRECISION, j JSONB)"
            )
            rows, started = 0, time.perf_counter()
            for batch, payload in zip(batches, payloads, strict=True):
                with conn.transaction(), conn.cursor() as cur:
                    copy_sql = f"COPY {RAW_TABLE} (sid, t, v, j) FROM STDIN (FORMAT BINARY)"
                    with cur.copy(copy_sql.encode()) as copy:
                        copy.write(payload)
                rows += len(batch)
                if time.perf_counter() - started > max_seconds:
                    break
            seconds = time.perf_counter() - started
        size = self.table_bytes()[RAW_TABLE]
        return RawAppend(rows, seconds, size)


_COPY_ROW = np.dtype(
    [
        ("fields", ">i2"),
        ("sid_len", ">i4"),
        ("sid", ">i4"),
        ("t_len", ">i4"),
        ("t", ">i8"),
        ("v_len", ">i4"),
        ("v", ">f8"),
        ("j_len", ">i4"),  # -1: NULL
    ]
)


def _copy_binary(batch: RawBatch) -> bytes:
    """PostgreSQL's binary COPY format for (int4, int8, float8, NULL jsonb) rows."""
    rows = np.zeros(len(batch), dtype=_COPY_ROW)
    rows["fields"], rows["sid_len"], rows["t_len"], rows["v_len"], rows["j_len"] = 4, 4, 8, 8, -1
    rows["sid"], rows["t"], rows["v"] = batch.sid, batch.t, batch.v
    header = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
    return header + rows.tobytes() + (-1).to_bytes(2, "big", signed=True)


def raw_scan(db: Database, entity_id: str, times: int) -> tuple[str, list[float]]:
    """Latencies of a full scan of one series' raw samples, the way its layout allows.

    With a row per sample (a ``samples`` table and no blocks): ``SELECT avg(v) … WHERE sid = ?``
    in SQL. With samples in encoded blocks there is no SQL for it: the store reads every raw
    sample of the series (``Store.read_series`` over all time) and numpy takes the mean.
    """
    found = db.row(
        "SELECT sid, tenant, attr, dataset_id FROM series WHERE entity_id = ?", [entity_id]
    )
    if found is None:
        raise RuntimeError(f"no series of {entity_id} in the database")
    sid, tenant, attr, dataset = found
    tables = db.table_bytes()
    if "samples" in tables and "sample_blocks" not in tables:
        sql = "SELECT avg(v) FROM samples WHERE sid = ?"
        return "SQL `avg(v)` over the series' rows", db.timed(sql, [sid], times)
    key = SeriesKey(entity_id, attr, dataset)
    return "`Store.read_series` of all raw samples + mean", asyncio.run(
        _store_scan(db.url, tenant, key, times)
    )


async def _store_scan(url: str, tenant: str, key: SeriesKey, times: int) -> list[float]:
    store = make_store(url, SystemClock())
    await store.open()
    try:
        out = []
        for _ in range(times):
            started = time.perf_counter()
            data = (await store.read_series(tenant, [key], None, None))[key]
            float(np.mean(np.asarray(data.values, dtype=np.float64)))
            out.append(time.perf_counter() - started)
        return out
    finally:
        await store.close()

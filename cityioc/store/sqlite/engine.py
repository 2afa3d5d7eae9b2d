"""SQLite done the Datasette way: one writer thread with group commit, a pool of reader threads.

Writes are queued to the writer, which takes every job waiting, runs each in its own SAVEPOINT
inside one ``BEGIN IMMEDIATE`` transaction, commits once, and only then resolves the callers'
futures — so a caller is acknowledged only after its data is durable, and a burst of small writes
costs one commit. A thread of its own checkpoints the WAL, so that commits never do. Urgent jobs
(a single alert, an operator's edit) waiting beside bulk ones (ingest batches, compaction steps)
commit first, on their own: they wait for the commit in progress, not also for the bulk queued
behind it. Readers use their own connections (WAL lets them run beside the writer) and never
block the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_JOBS_PER_COMMIT = 256
CHECKPOINT_EVERY_S = 0.2
WAL_LIMIT_BYTES = 256 * 2**20


def connect(
    path: Path | str, *, readonly: bool = False, synchronous: str = "FULL"
) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30.0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache per connection
    conn.execute("PRAGMA temp_store=MEMORY")
    if readonly:
        conn.execute("PRAGMA query_only=ON")
    return conn


@dataclass(slots=True)
class _Job:
    fn: Callable[[sqlite3.Connection], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    urgent: bool


_STOP = object()


class SqliteEngine:
    def __init__(
        self,
        path: Path | str,
        *,
        readers: int = 4,
        synchronous: str = "FULL",
        setup: Callable[[sqlite3.Connection], None] | None = None,
    ) -> None:
        self.path = path
        self._synchronous = synchronous
        self._setup = setup
        self._jobs: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._local = threading.local()
        self._reader_conns: list[sqlite3.Connection] = []
        self._reader_lock = threading.Lock()
        self._readers = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="sqlite-read")
        self.commits = 0
        self.jobs_committed = 0
        self.checkpoints = 0
        self._stopping = threading.Event()
        self._checkpointer: threading.Thread | None = None

    @property
    def reader_count(self) -> int:
        return len(self._reader_conns)

    def start(self) -> None:
        conn = connect(self.path, synchronous=self._synchronous)
        if self._setup:
            self._setup(conn)
        conn.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer thread does it
        self._writer = threading.Thread(
            target=self._write_loop, args=(conn,), name="sqlite-writer", daemon=True
        )
        self._writer.start()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, name="sqlite-checkpoint", daemon=True
        )
        self._checkpointer.start()

    def _checkpoint_loop(self) -> None:
        """Copy the WAL into the database beside the writer (its commits would otherwise do it,
        every ~4 MB, while holding the write lock). PASSIVE never waits for anyone; should the
        WAL still grow past WAL_LIMIT_BYTES (readers pinning it), a TRUNCATE waits for them."""
        conn = connect(self.path, synchronous=self._synchronous)
        wal = Path(str(self.path) + "-wal")
        try:
            while not self._stopping.wait(CHECKPOINT_EVERY_S):
                try:
                    big = wal.exists() and wal.stat().st_size > WAL_LIMIT_BYTES
                    mode = "TRUNCATE" if big else "PASSIVE"
                    conn.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
                    self.checkpoints += 1
                except sqlite3.Error:
                    log.exception("WAL checkpoint failed; will retry")
        finally:
            conn.close()

    async def write(self, fn: Callable[[sqlite3.Connection], T], *, urgent: bool = False) -> T:
        """Run ``fn`` in the writer's next commit; ``urgent``: a small write someone waits for,
        committed ahead of the bulk jobs waiting with it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put(_Job(fn, loop, future, urgent))
        return await future

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._run_read, fn)

    def _run_read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect(self.path, readonly=True, synchronous=self._synchronous)
            if self._setup:
                self._setup(conn)
            self._local.conn = conn
            with self._reader_lock:
                self._reader_conns.append(conn)
        conn.execute("BEGIN")
        try:
            return fn(conn)
        finally:
            conn.execute("COMMIT")

    async def close(self) -> None:
        self._stopping.set()
        if self._checkpointer is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._checkpointer.join)
            self._checkpointer = None
        if self._writer is not None:
            self._jobs.put(_STOP)
            await asyncio.get_running_loop().run_in_executor(None, self._writer.join)
            self._writer = None
        self._readers.shutdown(wait=True)
        with self._reader_lock:
            for conn in self._reader_conns:
                conn.close()
            self._reader_conns.clear()

    def _write_loop(self, conn: sqlite3.Connection) -> None:
        try:
            while True:
                first = self._jobs.get()
                if first is _STOP:
                    return
                batch: list[_Job] = [first]  # type: ignore[list-item]
                stop = False
                while len(batch) < MAX_JOBS_PER_COMMIT:
                    try:
                        nxt = self._jobs.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is _STOP:
                        stop = True
                        break
                    batch.append(nxt)  # type: ignore[arg-type]
                urgent = [job for job in batch if job.urgent]
                if urgent and len(urgent) < len(batch):
                    self._commit_batch(conn, urgent)
                    batch = [job for job in batch if not job.urgent]
                self._commit_batch(conn, batch)
                if stop:
                    return
        finally:
            conn.close()

    def _commit_batch(self, conn: sqlite3.Connection, batch: list[_Job]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in batch:
                conn.execute("SAVEPOINT job")
                try:
                    result = job.fn(conn)
                except BaseException as err:  # the job's own failure: undo it alone
                    conn.execute("ROLLBACK TO job")
                    conn.execute("RELEASE job")
                    outcomes.append((False, err))
                else:
                    conn.execute("RELEASE job")
                    outcomes.append((True, result))
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            log.exception("SQLite commit failed; %d writes rejected", len(batch))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            outcomes = [(False, err)] * len(batch)
        self.commits += 1
        self.jobs_committed += len(batch)
        for job, (ok, value) in zip(batch, outcomes, strict=True):
            job.loop.call_soon_threadsafe(_settle, job.future, ok, value)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.cancelled():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)

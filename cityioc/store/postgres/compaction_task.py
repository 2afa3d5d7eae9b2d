"""When a PostgreSQL store compacts: a background task of each open store (each server process).

A round runs every ``every_s`` seconds, or as soon as this process has written ``rows`` samples
since the last one, so that the hot table stays small under heavy ingestion. Every process runs
one; their steps take turns under the compaction lock. After a round that moved rows, the
tables it changed are vacuumed: the space of deleted hot rows, rewritten tail blocks and updated
rollups and horizons is reused at once instead of growing the files until autovacuum's next visit
(a minute at least: the hot table would reach the size of a minute of ingestion).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Final

from psycopg_pool import AsyncConnectionPool

from cityioc.core.failures import FailureNotice
from cityioc.store.postgres.compaction import compact_round
from cityioc.store.postgres.lifecycle import Conn

log = logging.getLogger(__name__)

COMPACT_EVERY_S: Final = 30.0
COMPACT_ROWS: Final = 300_000
# SKIP_LOCKED: a vacuum another process runs already is enough.
_VACUUM: Final = "VACUUM (SKIP_LOCKED) samples, sample_blocks, rollups, series"


class CompactionTask:
    def __init__(
        self,
        pool: AsyncConnectionPool[Conn],
        every_s: float = COMPACT_EVERY_S,
        rows: int = COMPACT_ROWS,
    ) -> None:
        self._pool = pool
        self._every_s = every_s
        self._rows = rows
        self._written = 0
        self._due = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="cityioc-compaction")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wrote(self, samples: int) -> None:
        """Count samples written by this process; enough of them start a round early."""
        self._written += samples
        if self._written >= self._rows:
            self._due.set()

    async def round(self, *, wait: bool = False) -> int:
        """A round now (see ``compact_round``), then a vacuum if it moved anything."""
        self._written = 0
        self._due.clear()
        moved = await compact_round(self._pool, wait=wait)
        if moved:
            async with self._pool.connection() as conn:
                await conn.execute(_VACUUM)
        return moved

    async def _run(self) -> None:
        notice = FailureNotice(log, "compaction")
        while True:
            with contextlib.suppress(TimeoutError):  # not wait_for: it can swallow a cancel
                async with asyncio.timeout(self._every_s):
                    await self._due.wait()
            try:
                await self.round()
                notice.succeeded()
            except Exception:  # the hot rows stay and are retried
                notice.failed()
                await asyncio.sleep(self._every_s)

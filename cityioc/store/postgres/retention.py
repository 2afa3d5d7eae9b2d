"""Retention of raw samples in PostgreSQL: old blocks and hot rows go, rollups stay."""

from __future__ import annotations

from psycopg_pool import AsyncConnectionPool

from cityioc.store.codec import decode_block, encode_block
from cityioc.store.postgres.compaction import COMPACTION_LOCK, compact_round
from cityioc.store.postgres.lifecycle import Conn

# Spelled per series so that they are scans of the primary keys (sid, t0) and (sid, t).
_OLD_BLOCKS = (
    "DELETE FROM sample_blocks WHERE sid = ANY(ARRAY(SELECT sid FROM series))"
    " AND t0 < %(cutoff)s AND t1 < %(cutoff)s RETURNING n"
)
_STRADDLING = (
    "SELECT sid, t0, data FROM sample_blocks WHERE sid = ANY(ARRAY(SELECT sid FROM series))"
    " AND t0 < %(cutoff)s AND t1 >= %(cutoff)s"
)
_OLD_HOT = "DELETE FROM samples WHERE sid = ANY(ARRAY(SELECT sid FROM series)) AND t < %(cutoff)s"


async def purge_before(pool: AsyncConnectionPool[Conn], cutoff: int) -> int:
    """Drop raw samples older than ``cutoff``; returns how many. Blocks that straddle it are cut.

    Compacts first, so that old hot rows are in the rollups before their raw form goes; hot rows
    older than the cutoff that arrive meanwhile are dropped unrolled, as retention says.
    """
    await compact_round(pool, wait=True)
    params = {"cutoff": cutoff}
    async with pool.connection() as conn, conn.transaction():
        cur = conn.cursor(binary=True)
        await cur.execute("SELECT pg_advisory_xact_lock(%s)", (COMPACTION_LOCK,))  # no step runs
        await cur.execute(_OLD_BLOCKS, params)
        removed = sum(int(row[0]) for row in await cur.fetchall())
        await cur.execute(_STRADDLING, params)
        for sid, t0, data in await cur.fetchall():
            block = decode_block(data)
            keep = block.times >= cutoff
            times = block.times[keep]
            values = [v for v, k in zip(block.to_list(), keep.tolist(), strict=True) if k]
            await cur.execute("DELETE FROM sample_blocks WHERE sid = %s AND t0 = %s", (sid, t0))
            await cur.execute(
                "INSERT INTO sample_blocks (sid, t0, t1, n, data) VALUES (%s, %s, %s, %s, %s)",
                (sid, int(times[0]), int(times[-1]), len(times), encode_block(times, values)),
            )
            removed += len(block.times) - len(times)
        await cur.execute(_OLD_HOT, params)
        removed += max(cur.rowcount, 0)
    return removed

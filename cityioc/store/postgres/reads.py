"""What readers of time series see in PostgreSQL: blocks + hot rows, rollups + hot partials.

As in SQLite, a sample is in a block (``sample_blocks``, compacted) or a hot row (``samples``),
and a hot row wins over a block sample at the same time, because it was written later. Rollups
hold the compacted samples; readers add the partials of the hot rows, and aggregate the days that
have late hot rows (at or before the series' ``compacted_to``: repeats or corrections of
compacted samples) from the merged raw samples instead, so aggregates are exact at any moment.

The compactor moves rows from one place to the other in a transaction of its own, so every read
here runs in one snapshot (``snapshot``): it sees the rows before the move or after it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Collection
from typing import Any, Final

import numpy as np
import psycopg
from psycopg_pool import AsyncConnectionPool

from cityioc.store.codec import decode_block, is_number, merge_samples
from cityioc.store.port import RollupData, SeriesData, SeriesKey
from cityioc.store.postgres.lifecycle import Conn
from cityioc.store.postgres.series import Cursor, series_ids
from cityioc.store.rollups import combine_rollups, partials

LOWEST: Final = -(2**63)
HIGHEST: Final = 2**63 - 1
DAY_MS: Final = 86_400_000
Samples = tuple[np.ndarray, list[Any]]  # int64 times, values

_BLOCKS = (
    "SELECT sid, data FROM sample_blocks WHERE sid = ANY(%(s)s::int[])"
    " AND t1 >= %(lo)s AND t0 < %(hi)s ORDER BY sid, t0"
)
# For lastN, only the newest blocks that hold lastN samples before ``hi`` (a block reaching past
# ``hi`` counts for none of them): blocks of a series never overlap, so those and the hot rows
# hold the last N samples of the union.
_LAST_BLOCKS = """
SELECT sid, data FROM (
    SELECT sid, t0, data, mine,
           sum(mine) OVER (PARTITION BY sid ORDER BY t0 DESC ROWS UNBOUNDED PRECEDING) AS acc
    FROM (SELECT sid, t0, data, CASE WHEN t1 < %(hi)s THEN n ELSE 0 END AS mine
          FROM sample_blocks
          WHERE sid = ANY(%(s)s::int[]) AND t1 >= %(lo)s AND t0 < %(hi)s) AS b
) AS w WHERE acc - mine < %(n)s ORDER BY sid, t0
"""
_HOT = (
    "SELECT sid, t, v, j FROM samples WHERE sid = ANY(%(s)s::int[])"
    " AND t >= %(lo)s AND t < %(hi)s ORDER BY sid, t"
)
_LAST_HOT = (
    "SELECT k.sid, x.t, x.v, x.j FROM unnest(%(s)s::int[]) AS k (sid) CROSS JOIN LATERAL"
    " (SELECT t, v, j FROM samples WHERE sid = k.sid AND t >= %(lo)s AND t < %(hi)s"
    "  ORDER BY t DESC LIMIT %(n)s) AS x ORDER BY k.sid, x.t"
)


@contextlib.asynccontextmanager
async def snapshot(pool: AsyncConnectionPool[Conn]) -> AsyncIterator[Cursor]:
    """A read-only transaction whose statements all see one snapshot of the database."""
    async with pool.connection() as conn:
        await conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield conn.cursor(binary=True)
        finally:
            with contextlib.suppress(psycopg.Error):  # a broken connection is the pool's to drop
                await conn.execute("ROLLBACK")  # read only: nothing to commit


async def block_samples(
    cur: Cursor, sids: list[int], lo: int, hi: int, last_n: int | None = None
) -> dict[int, Samples]:
    """The samples of the blocks overlapping [lo, hi), whole blocks, per series."""
    params = {"s": sids, "lo": lo, "hi": hi, "n": last_n}
    await cur.execute(_BLOCKS if last_n is None else _LAST_BLOCKS, params)
    found: dict[int, tuple[list[np.ndarray], list[Any]]] = {}
    for sid, data in await cur.fetchall():
        block = decode_block(data)
        times, values = found.setdefault(sid, ([], []))
        times.append(block.times)
        values += block.to_list()
    return {sid: (np.concatenate(t), v) for sid, (t, v) in found.items()}


async def hot_samples(
    cur: Cursor, sids: list[int], lo: int, hi: int, last_n: int | None = None
) -> dict[int, Samples]:
    """The hot rows in [lo, hi) per series (with ``last_n``: the newest that many)."""
    params = {"s": sids, "lo": lo, "hi": hi, "n": last_n}
    await cur.execute(_HOT if last_n is None else _LAST_HOT, params)
    rows: dict[int, list[tuple[Any, ...]]] = {}
    for row in await cur.fetchall():
        rows.setdefault(row[0], []).append(row)
    return {
        sid: (
            np.fromiter((r[1] for r in mine), dtype=np.int64, count=len(mine)),
            [r[2] if r[3] is None else r[3] for r in mine],
        )
        for sid, mine in rows.items()
    }


async def merged_samples(
    cur: Cursor, sids: list[int], lo: int, hi: int, last_n: int | None = None
) -> dict[int, SeriesData]:
    """Blocks + hot rows in [lo, hi), a hot row winning at the same time."""
    blocks = await block_samples(cur, sids, lo, hi, last_n)
    hot = await hot_samples(cur, sids, lo, hi, last_n)
    empty: Samples = (np.empty(0, dtype=np.int64), [])
    out = {}
    for sid in sids:
        bt, bv = blocks.get(sid, empty)
        ht, hv = hot.get(sid, empty)
        times, merged = merge_samples(bt, bv, ht, hv)
        values = merged if isinstance(merged, list) else merged.tolist()
        keep = (times >= lo) & (times < hi)
        if not keep.all():
            times, values = (
                times[keep],
                [v for v, k in zip(values, keep.tolist(), strict=True) if k],
            )
        if last_n is not None:
            cut = max(len(times) - last_n, 0)
            times, values = times[cut:], values[cut:]
        out[sid] = SeriesData(times, values)
    return out


async def read(
    cur: Cursor,
    tenant: str,
    keys: Collection[SeriesKey],
    window: tuple[int | None, int | None],
    last_n: int | None,
) -> dict[SeriesKey, SeriesData]:
    ids = await series_ids(cur, tenant, keys)
    if not ids:
        return {}
    lo = window[0] if window[0] is not None else LOWEST
    hi = window[1] if window[1] is not None else HIGHEST
    found = await merged_samples(cur, sorted(set(ids.values())), lo, hi, last_n)
    return {key: found[sid] for key, sid in ids.items()}


async def extent(cur: Cursor, tenant: str, key: SeriesKey) -> tuple[int, int] | None:
    """First and last sample time of a series (index probes, no scan), in one statement."""
    ids = await series_ids(cur, tenant, [key])
    if key not in ids:
        return None
    await cur.execute(
        "SELECT least(b.lo, h.lo), greatest(b.hi, h.hi)"
        " FROM (SELECT min(t0) AS lo, max(t1) AS hi FROM sample_blocks WHERE sid = %(s)s) AS b,"
        " (SELECT min(t) AS lo, max(t) AS hi FROM samples WHERE sid = %(s)s) AS h",
        {"s": ids[key]},
    )
    row = await cur.fetchone()
    return (int(row[0]), int(row[1])) if row and row[0] is not None else None


async def read_rollups(
    cur: Cursor, tenant: str, key: SeriesKey, width: int, window: tuple[int | None, int | None]
) -> RollupData:
    """Stored rollups plus the partials of hot samples (run it in a ``snapshot``).

    Hot samples at or before the series' compacted horizon may repeat or correct compacted ones:
    the days they touch are aggregated from the merged raw samples instead.
    """
    ids = await series_ids(cur, tenant, [key])
    if key not in ids:
        return _rollup_data([])
    sid = ids[key]
    lo = (window[0] // width) * width if window[0] is not None else LOWEST
    hi = window[1] if window[1] is not None else HIGHEST
    await cur.execute(
        "SELECT bucket, n, sum, sumsq, mn, mx FROM rollups WHERE sid = %s AND width = %s"
        " AND bucket >= %s AND bucket < %s ORDER BY bucket",
        (sid, width, lo, hi),
    )
    stored = await cur.fetchall()
    ht, hv = (await hot_samples(cur, [sid], lo, hi)).get(sid, (np.empty(0, dtype=np.int64), []))
    await cur.execute("SELECT compacted_to FROM series WHERE sid = %s", (sid,))
    horizon_row = await cur.fetchone()
    late = ht <= (horizon_row[0] if horizon_row else LOWEST)
    if late.any():
        span_lo = int(ht[late].min()) // DAY_MS * DAY_MS
        span_hi = (int(ht[late].max()) // DAY_MS + 1) * DAY_MS
        stored = [r for r in stored if not span_lo <= r[0] < span_hi]
        merged = (await merged_samples(cur, [sid], max(span_lo, lo), min(span_hi, hi)))[sid]
        outside = (ht < span_lo) | (ht >= span_hi)
        ht = np.concatenate([merged.times, ht[outside]])
        hv = merged.values + [v for v, k in zip(hv, outside.tolist(), strict=True) if k]
    result = _rollup_data(stored)
    numeric = np.fromiter(map(is_number, hv), dtype=bool, count=len(hv))
    if not numeric.any():
        return result
    times = ht[numeric]
    values = np.array([v for v, k in zip(hv, numeric.tolist(), strict=True) if k], dtype=float)
    with np.errstate(over="ignore", invalid="ignore"):  # inf - inf is NaN, as in SQL
        hot = partials(np.zeros(len(times), dtype=np.int64), times, values, width)
    keep = (hot.bucket >= lo) & (hot.bucket < hi)
    extra = RollupData(
        hot.bucket[keep], hot.n[keep], hot.sum[keep], hot.sumsq[keep], hot.mn[keep], hot.mx[keep]
    )
    return combine_rollups(result, extra)


def _rollup_data(rows: list[tuple[Any, ...]]) -> RollupData:
    cols = list(zip(*rows, strict=True)) if rows else [()] * 6
    return RollupData(
        buckets=np.array(cols[0], dtype=np.int64),
        n=np.array(cols[1], dtype=np.int64),
        sum=np.array(cols[2], dtype=np.float64),
        sumsq=np.array(cols[3], dtype=np.float64),
        mn=np.array(cols[4], dtype=np.float64),
        mx=np.array(cols[5], dtype=np.float64),
    )

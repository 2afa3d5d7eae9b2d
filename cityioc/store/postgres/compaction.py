"""Moves hot rows into compressed blocks and rolls them up: the LSM step of the PostgreSQL store.

Writers append to the hot table ``samples`` (COPY, no rollups); every few seconds the compactor
moves its rows into ``sample_blocks`` (``store/codec.py``, a few bytes per sample instead of ~90
with the primary key) and adds them to the rollups, as the SQLite store does. A round sweeps the
series in ascending id, in steps of about ``STEP_ROWS`` hot rows (whole series), each its own
transaction: it deletes the hot rows it moves (``DELETE … RETURNING``) and writes their blocks,
rollups and horizon, so a process dying mid-way loses and doubles nothing.

Several processes share the database: a step runs under a transaction-level advisory lock, so
one step at a time compacts (another process's round finds it taken and leaves the work to it),
and it locks the series rows it works on, which a concurrent delete of those series waits for.

In-order data (the common case) extends each series' tail block and adds its partials to the
rollups. Late data (at or before what a series already holds in blocks: a redelivery, a
correction, rows written before this layout existed) is merged with the blocks of the days it
touches and those days' rollups are recomputed from the merged samples, so repeats are stored
once and corrections replace the old value everywhere.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from psycopg.errors import DeadlockDetected
from psycopg_pool import AsyncConnectionPool

from cityioc.store.blocks import BLOCK_SIZE, Block, blocks_of, concat_values, series_runs
from cityioc.store.codec import decode_block, is_number, merge_samples
from cityioc.store.postgres import staging
from cityioc.store.postgres.lifecycle import Conn
from cityioc.store.postgres.reads import DAY_MS, LOWEST
from cityioc.store.postgres.series import Cursor

log = logging.getLogger(__name__)

COMPACTION_LOCK: Final = 0x63697479636F6D70  # "citycomp": one compaction step at a time
STEP_ROWS: Final = 2_000  # hot rows per step (a bigger series goes alone): small, on the event loop
DEADLOCK_RETRIES: Final = 3
YIELD_EVERY: Final = 64  # series encoded between two turns of the event loop

_PAST_SIDS: Final = 2**31  # above every int4 id

_SLICE = """
SELECT (SELECT sid FROM samples WHERE sid > %(after)s ORDER BY sid LIMIT 1),
       (SELECT sid FROM samples WHERE sid > %(after)s ORDER BY sid LIMIT 1 OFFSET %(rows)s)
"""
# The series rows of the slice's hot rows, locked: a concurrent delete waits for the step.
_LOCK_SERIES = """
SELECT sid, compacted_to FROM series WHERE sid IN (
    SELECT DISTINCT sid FROM samples WHERE sid >= %(lo)s AND sid < %(hi)s
) ORDER BY sid FOR NO KEY UPDATE
"""
# Rows of a series deleted meanwhile (a writer's stale id) go too, as orphans: in one statement's
# snapshot a new series' row and its first hot rows are visible together or not at all.
_TAKE_HOT = """
DELETE FROM samples AS s WHERE s.sid >= %(lo)s AND s.sid < %(hi)s
AND (s.sid = ANY(%(locked)s::int[])
     OR NOT EXISTS (SELECT 1 FROM series WHERE series.sid = s.sid))
RETURNING s.sid, s.t, s.v, s.j IS NOT NULL, s.j
"""
_TAILS = """
SELECT k.sid, b.t0, b.n, CASE WHEN b.n < %(full)s THEN b.data END
FROM unnest(%(sids)s::int[]) AS k (sid) CROSS JOIN LATERAL
    (SELECT t0, n, data FROM sample_blocks WHERE sid = k.sid ORDER BY t0 DESC LIMIT 1) AS b
"""
_ADD_ROLLUPS = """
INSERT INTO rollups AS r
SELECT * FROM unnest(%b::int[], %b::int[], %b::bigint[], %b::bigint[], %b::float8[],
                     %b::float8[], %b::float8[], %b::float8[])
ORDER BY 1, 2, 3
ON CONFLICT (sid, width, bucket) DO UPDATE SET
    n = r.n + excluded.n, sum = r.sum + excluded.sum, sumsq = r.sumsq + excluded.sumsq,
    mn = least(r.mn, excluded.mn), mx = greatest(r.mx, excluded.mx)
"""
_COPY_BLOCKS = "COPY sample_blocks (sid, t0, t1, n, data) FROM STDIN (FORMAT BINARY)"


@dataclass(slots=True)
class _Writes:
    """What a step writes once its series are worked out."""

    dropped_tails: list[tuple[int, int]] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    roll_sids: list[np.ndarray] = field(default_factory=list)
    roll_times: list[np.ndarray] = field(default_factory=list)
    roll_values: list[np.ndarray] = field(default_factory=list)
    horizons: dict[int, int] = field(default_factory=dict)

    def roll(self, sid: int, times: np.ndarray, values: np.ndarray) -> None:
        self.roll_sids.append(np.full(len(times), sid, dtype=np.int32))
        self.roll_times.append(times)
        self.roll_values.append(values)


class _HotRows:
    """A step's hot rows as arrays sorted by (sid, t): one row per (sid, t), the primary key's."""

    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        n = len(rows)
        sids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
        times = np.fromiter((r[1] for r in rows), dtype=np.int64, count=n)
        order = np.lexsort((times, sids))
        self.sids, self.times = sids[order], times[order]
        self.json = np.fromiter((r[3] for r in rows), dtype=bool, count=n)[order]
        v = np.fromiter((np.nan if r[3] else r[2] for r in rows), dtype=np.float64, count=n)
        self.v = v[order]
        self._rows = rows
        self._order = order

    def groups(self) -> list[tuple[int, int, int]]:
        """(sid, start, end) of each series' run."""
        return series_runs(self.sids)

    def values(self, lo: int, hi: int) -> np.ndarray | list[Any]:
        """Float64 when the run is all numbers (the codec's fast path), else Python values."""
        if not self.json[lo:hi].any():
            return self.v[lo:hi]
        return [
            self._rows[i][4] if self.json[k] else float(self.v[k])
            for k, i in zip(range(lo, hi), self._order[lo:hi].tolist(), strict=True)
        ]


async def compact_round(pool: AsyncConnectionPool[Conn], *, wait: bool = False) -> int:
    """One sweep over the series with hot rows, step by step; returns how many rows it moved.

    Without ``wait`` it stops at a step whose lock another process holds (that process is
    compacting); with it, it waits its turn, so that every row hot when it started is moved.
    """
    after, moved, deadlocks = LOWEST, 0, 0
    while True:
        try:
            async with pool.connection() as conn, conn.transaction():
                done = await step(conn.cursor(binary=True), after, STEP_ROWS, wait=wait)
        except DeadlockDetected:
            # With a writer replacing hot rows this step was deleting (rare: repeats of hot
            # samples); the step rolled back whole, so it runs again.
            deadlocks += 1
            if deadlocks > DEADLOCK_RETRIES:
                raise
            log.info("compaction step deadlocked with a writer; running it again")
            continue
        if done is None:
            return moved
        moved += done[0]
        if done[1] is None:
            return moved
        after = done[1]


async def step(
    cur: Cursor, after: int, max_rows: int, *, wait: bool = False
) -> tuple[int, int | None] | None:
    """Compact the first series above ``after`` holding about ``max_rows`` hot rows, inside the
    caller's transaction. Returns (rows moved, the last series id covered, None for all), or
    None when there is nothing to do or (without ``wait``) another process is compacting."""
    if wait:
        await cur.execute("SELECT pg_advisory_xact_lock(%s)", (COMPACTION_LOCK,))
    else:
        await cur.execute("SELECT pg_try_advisory_xact_lock(%s)", (COMPACTION_LOCK,))
        row = await cur.fetchone()
        if row is None or not row[0]:
            return None
    await cur.execute(_SLICE, {"after": after, "rows": max_rows})
    row = await cur.fetchone()
    if row is None or row[0] is None:
        return None
    first, bound = row
    # One series may hold more than max_rows: then that series alone.
    lo, hi = first, (_PAST_SIDS if bound is None else bound if bound > first else first + 1)
    await cur.execute(_LOCK_SERIES, {"lo": lo, "hi": hi})
    horizons: dict[int, int] = dict(await cur.fetchall())
    await cur.execute(_TAKE_HOT, {"lo": lo, "hi": hi, "locked": list(horizons)})
    rows = await cur.fetchall()
    if rows:
        await _move(cur, _HotRows(rows), horizons)
    return len(rows), (None if bound is None else hi - 1)


async def _move(cur: Cursor, hot: _HotRows, horizons: dict[int, int]) -> None:
    groups = [g for g in hot.groups() if g[0] in horizons]  # the others were orphans
    in_order = {sid for sid, lo, _ in groups if hot.times[lo] > horizons[sid]}
    tails: dict[int, tuple[int, int, bytes | None]] = {}
    if in_order:
        await cur.execute(_TAILS, {"full": BLOCK_SIZE, "sids": sorted(in_order)})
        tails = {sid: (t0, n, data) for sid, t0, n, data in await cur.fetchall()}
    writes = _Writes()
    for n, (sid, lo, hi) in enumerate(groups):
        if n % YIELD_EVERY == YIELD_EVERY - 1:
            await asyncio.sleep(0)  # this runs on the event loop: let requests through
        times, values = hot.times[lo:hi], hot.values(lo, hi)
        writes.horizons[sid] = int(times[-1])
        if sid not in in_order:
            await _merge_late(cur, writes, sid, times, values)
            continue
        _roll_numbers(writes, sid, times, values)
        tail = tails.get(sid)
        if tail is not None and tail[2] is not None:  # a tail block not yet full: extend it
            old = decode_block(tail[2])
            writes.dropped_tails.append((sid, tail[0]))
            times = np.concatenate([old.times, times])
            values = concat_values(old.values, values)
        writes.blocks += blocks_of(sid, times, values)
    await _write(cur, writes)


async def _merge_late(
    cur: Cursor, writes: _Writes, sid: int, times: np.ndarray, values: np.ndarray | list[Any]
) -> None:
    """Merge with the blocks of the days touched; recompute those days' rollups from raw."""
    span_lo = int(times[0]) // DAY_MS * DAY_MS
    span_hi = (int(times[-1]) // DAY_MS + 1) * DAY_MS
    await cur.execute(
        "DELETE FROM sample_blocks WHERE sid = %s AND t1 >= %s AND t0 < %s RETURNING t0, data",
        (sid, span_lo, span_hi),
    )
    old = [decode_block(data) for _, data in sorted(await cur.fetchall(), key=lambda r: r[0])]
    old_t = np.concatenate([b.times for b in old]) if old else np.empty(0, dtype=np.int64)
    old_v = [v for b in old for v in b.to_list()]
    merged_t, merged = merge_samples(old_t, old_v, times, values)
    merged_v = merged if isinstance(merged, list) else merged.tolist()
    writes.blocks += blocks_of(sid, merged_t, merged_v)
    # Whole days: every hour and day bucket in the span is recomputed from its samples.
    await cur.execute(
        "DELETE FROM rollups WHERE sid = %s AND bucket >= %s AND bucket < %s",
        (sid, span_lo, span_hi),
    )
    inside = (merged_t >= span_lo) & (merged_t < span_hi)
    _roll_numbers(
        writes,
        sid,
        merged_t[inside],
        [v for v, k in zip(merged_v, inside.tolist(), strict=True) if k],
    )


async def _write(cur: Cursor, writes: _Writes) -> None:
    if writes.dropped_tails:
        sids, starts = zip(*writes.dropped_tails, strict=True)
        await cur.execute(
            "DELETE FROM sample_blocks WHERE (sid, t0) IN"
            " (SELECT * FROM unnest(%s::int[], %s::bigint[]))",
            (list(sids), list(starts)),
        )
    if writes.blocks:
        async with cur.copy(_COPY_BLOCKS) as copy:
            copy.set_types(["int4", "int8", "int8", "int4", "bytea"])
            for block in sorted(writes.blocks):
                await copy.write_row(block)
    if writes.roll_sids:
        with np.errstate(over="ignore", invalid="ignore"):  # inf - inf is NaN, as in SQL
            arrays = staging.rollup_arrays(
                np.concatenate(writes.roll_sids),
                np.concatenate(writes.roll_times),
                np.concatenate(writes.roll_values),
            )
        await cur.execute(_ADD_ROLLUPS, arrays)
    if writes.horizons:
        await cur.execute(
            "UPDATE series AS s SET compacted_to = greatest(s.compacted_to, x.t)"
            " FROM unnest(%s::int[], %s::bigint[]) AS x (sid, t) WHERE s.sid = x.sid",
            (list(writes.horizons), list(writes.horizons.values())),
        )


def _roll_numbers(
    writes: _Writes, sid: int, times: np.ndarray, values: np.ndarray | list[Any]
) -> None:
    if isinstance(values, np.ndarray):
        writes.roll(sid, times, values)
        return
    mask = np.fromiter(map(is_number, values), dtype=bool, count=len(values))
    if mask.any():
        numbers = [float(v) for v, k in zip(values, mask.tolist(), strict=True) if k]
        writes.roll(sid, times[mask], np.array(numbers, dtype=np.float64))

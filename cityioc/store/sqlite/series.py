"""Time series in SQLite: appended to small hot tables, compacted into blocks (``compaction``).

Samples arrive in ``samples_new`` (a few batches), are folded into ``samples_hot`` in sorted runs,
and compacted from there. Readers see the union: blocks, then hot rows of both tables (a hot row
wins over a block sample at the same time, and a new row over a hot one, because it was written
later). Rollups hold the compacted samples; readers add the partials of the hot rows, so
aggregates are exact at any moment.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import orjson

from cityioc.hub.models import Sample
from cityioc.store.codec import decode_block, encode_block, is_number, merge_samples
from cityioc.store.port import RollupData, SeriesData, SeriesKey
from cityioc.store.rollups import combine_rollups, partials
from cityioc.store.sqlite.entities import chunks

SeriesCacheKey = tuple[str, str, str, str]
# All rows in one statement: ``executemany`` would let go of the GIL and take it back for each
# row, and under load (the event loop parsing requests) each take-back waits its turn.
INSERT_NEW = (
    "INSERT INTO samples_new (sid, t, v, j)"
    " SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?)"
)
LOWEST = -(2**63)
DAY_MS = 86_400_000
HIGHEST = 2**63 - 1
HOT_TABLES = ("samples_new", "samples_hot")  # newest first
# A write that brings samples_new to this many rows folds them into samples_hot (``fold``).
FOLD_ROWS = 25_000
# Both tables' rows of one series in a time range; at equal times the later write comes last.
_HOT_ROWS = (
    "SELECT t, v, j FROM ("
    "SELECT t, v, j, 0 AS g, rowid AS r FROM samples_hot WHERE sid = ?1 AND t >= ?2 AND t < ?3"
    " UNION ALL"
    " SELECT t, v, j, 1, rowid FROM samples_new WHERE sid = ?1 AND t >= ?2 AND t < ?3"
    ") ORDER BY t, g, r"
)


class SeriesIndex:
    """The writer's memory of series ids and their latest time, so the hot path needs no lookups.

    Only the writer thread touches it; after a restart it is rebuilt lazily from the tables.
    """

    def __init__(self) -> None:
        self.sid: dict[SeriesCacheKey, int] = {}
        self.last_t: dict[int, int] = {}
        self.hot_rows = 0  # in both hot tables
        self.new_rows = 0  # in samples_new

    def resolve(self, conn: sqlite3.Connection, keys: Collection[SeriesCacheKey]) -> None:
        missing = [k for k in keys if k not in self.sid]
        if not missing:
            return
        conn.executemany(
            "INSERT OR IGNORE INTO series (tenant, entity_id, attr, dataset_id)"
            " VALUES (?, ?, ?, ?)",
            missing,
        )
        for key in missing:
            sid, compacted_to = conn.execute(
                "SELECT sid, compacted_to FROM series WHERE tenant = ? AND entity_id = ?"
                " AND attr = ? AND dataset_id = ?",
                key,
            ).fetchone()
            hot_max = conn.execute(
                "SELECT max(t) FROM (SELECT max(t) AS t FROM samples_hot WHERE sid = ?1"
                " UNION ALL SELECT max(t) FROM samples_new WHERE sid = ?1)",
                (sid,),
            ).fetchone()[0]
            self.sid[key] = sid
            self.last_t[sid] = max(compacted_to, hot_max if hot_max is not None else LOWEST)

    def forget(self, tenant: str, entity_id: str) -> None:
        for key in [k for k in self.sid if k[0] == tenant and k[1] == entity_id]:
            self.last_t.pop(self.sid.pop(key), None)


def split_value(value: Any) -> tuple[float | None, str | None]:
    kind = type(value)
    if kind is float or kind is int or is_number(value):  # the type test is the fast path
        return float(value), None
    return None, orjson.dumps(value).decode()


def write_samples(
    conn: sqlite3.Connection, index: SeriesIndex, tenant: str, samples: Sequence[Sample]
) -> int:
    """Append samples; a repeat of a hot (series, time) is dropped or replaces its value.

    Repeats of already compacted samples are settled by the compactor, which merges them.
    """
    if not samples:
        return 0
    sid_of = index.sid
    keys = {(tenant, s.entity_id, s.attr, s.dataset_id) for s in samples}
    if not keys <= sid_of.keys():
        index.resolve(conn, keys)
    latest: dict[tuple[int, int], tuple[float | None, str | None]] = {}
    for s in samples:
        value = s.value
        kind = type(value)
        latest[(sid_of[(tenant, s.entity_id, s.attr, s.dataset_id)], s.t)] = (
            (float(value), None) if kind is float or kind is int else split_value(value)
        )
    last_t = index.last_t
    for key in [k for k in latest if k[1] <= last_t[k[0]]]:
        _settle_hot_repeat(conn, key, latest)
    conn.execute(INSERT_NEW, (orjson.dumps([(*k, *vj) for k, vj in latest.items()]),))
    for sid, t in latest:
        if t > last_t[sid]:  # noqa: PLR1730 — the branch skips a store on the hot path
            last_t[sid] = t
    index.hot_rows += len(latest)
    index.new_rows += len(latest)
    if index.new_rows >= FOLD_ROWS:
        fold(conn, index)
    return len(latest)


def fold(conn: sqlite3.Connection, index: SeriesIndex) -> int:
    """Move the rows of ``samples_new`` into ``samples_hot``, sorted; returns how many. Inside a
    write transaction."""
    moved: int = conn.execute(
        "INSERT INTO samples_hot (sid, t, v, j)"
        " SELECT sid, t, v, j FROM samples_new ORDER BY sid, t, rowid"
    ).rowcount
    conn.execute("DELETE FROM samples_new")
    index.new_rows = 0
    return moved


def _settle_hot_repeat(
    conn: sqlite3.Connection,
    key: tuple[int, int],
    latest: dict[tuple[int, int], tuple[float | None, str | None]],
) -> None:
    for table in HOT_TABLES:
        row = conn.execute(
            f"SELECT rowid, v, j FROM {table} WHERE sid = ? AND t = ? ORDER BY rowid DESC LIMIT 1",
            key,
        ).fetchone()
        if row is not None:
            new = latest.pop(key)
            if (row[1], row[2]) != new:
                conn.execute(f"UPDATE {table} SET v = ?, j = ? WHERE rowid = ?", (*new, row[0]))
            return
    # Not hot: maybe in a block, and the compactor merges it


def series_ids(
    conn: sqlite3.Connection, tenant: str, keys: Collection[SeriesKey]
) -> dict[SeriesKey, int]:
    found = {}
    for key in keys:
        row = conn.execute(
            "SELECT sid FROM series WHERE tenant = ? AND entity_id = ? AND attr = ?"
            " AND dataset_id = ?",
            (tenant, key.entity_id, key.attr, key.dataset_id),
        ).fetchone()
        if row is not None:
            found[key] = int(row[0])
    return found


def hot_rows(conn: sqlite3.Connection, sid: int, lo: int, hi: int) -> tuple[np.ndarray, list[Any]]:
    rows = conn.execute(_HOT_ROWS, (sid, lo, hi)).fetchall()
    times = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    return times, [r[1] if r[2] is None else orjson.loads(r[2]) for r in rows]


def block_samples(
    conn: sqlite3.Connection, sid: int, lo: int, hi: int
) -> tuple[np.ndarray, list[Any]]:
    times: list[np.ndarray] = []
    values: list[Any] = []
    for (data,) in conn.execute(
        "SELECT data FROM sample_blocks WHERE sid = ? AND t1 >= ? AND t0 < ? ORDER BY t0",
        (sid, lo, hi),
    ):
        block = decode_block(data)
        times.append(block.times)
        values += block.to_list()
    return (np.concatenate(times) if times else np.empty(0, dtype=np.int64)), values


def read_one(
    conn: sqlite3.Connection, sid: int, start: int | None, end: int | None, last_n: int | None
) -> SeriesData:
    lo = start if start is not None else LOWEST
    hi = end if end is not None else HIGHEST
    bt, bv = block_samples(conn, sid, lo, hi)
    ht, hv = hot_rows(conn, sid, lo, hi)
    times, values = merge_samples(bt, bv, ht, hv)
    t = np.asarray(times, dtype=np.int64)
    keep = (t >= lo) & (t < hi)
    t, vals = t[keep], [v for v, k in zip(values, keep.tolist(), strict=True) if k]
    if last_n is not None:
        t, vals = t[-last_n:], vals[-last_n:] if last_n else []
    return SeriesData(t, vals)


def read(
    conn: sqlite3.Connection,
    tenant: str,
    keys: Collection[SeriesKey],
    start: int | None,
    end: int | None,
    last_n: int | None,
) -> dict[SeriesKey, SeriesData]:
    return {
        key: read_one(conn, sid, start, end, last_n)
        for key, sid in series_ids(conn, tenant, keys).items()
    }


def series_of(conn: sqlite3.Connection, tenant: str, entity_id: str) -> list[SeriesKey]:
    return [
        SeriesKey(entity_id, attr, ds)
        for attr, ds in conn.execute(
            "SELECT attr, dataset_id FROM series WHERE tenant = ? AND entity_id = ? ORDER BY sid",
            (tenant, entity_id),
        )
    ]


def extent(conn: sqlite3.Connection, tenant: str, key: SeriesKey) -> tuple[int, int] | None:
    """First and last sample time of a series (index probes, no scan)."""
    ids = series_ids(conn, tenant, [key])
    if key not in ids:
        return None
    sid = ids[key]
    firsts, lasts = [], []
    row = conn.execute(
        "SELECT min(t0), max(t1) FROM sample_blocks WHERE sid = ?", (sid,)
    ).fetchone()
    if row[0] is not None:
        firsts.append(row[0])
        lasts.append(row[1])
    for table in HOT_TABLES:
        row = conn.execute(f"SELECT min(t), max(t) FROM {table} WHERE sid = ?", (sid,)).fetchone()
        if row[0] is not None:
            firsts.append(row[0])
            lasts.append(row[1])
    return (int(min(firsts)), int(max(lasts))) if firsts else None


def read_rollups(
    conn: sqlite3.Connection,
    tenant: str,
    key: SeriesKey,
    width: int,
    start: int | None,
    end: int | None,
) -> RollupData:
    """Stored rollups plus the partials of hot samples, exact at any moment.

    Hot samples at or before the series' compacted horizon may repeat or correct compacted ones:
    the days they touch are aggregated from the merged raw samples instead.
    """
    empty = _rollup_data([])
    ids = series_ids(conn, tenant, [key])
    if key not in ids:
        return empty
    sid = ids[key]
    lo = (start // width) * width if start is not None else LOWEST
    hi = end if end is not None else HIGHEST
    stored = conn.execute(
        "SELECT bucket, n, sum, sumsq, mn, mx FROM rollups WHERE sid = ? AND width = ?"
        " AND bucket >= ? AND bucket < ? ORDER BY bucket",
        (sid, width, lo, hi),
    ).fetchall()
    ht, hv = hot_rows(conn, sid, lo, hi)
    horizon = conn.execute("SELECT compacted_to FROM series WHERE sid = ?", (sid,)).fetchone()[0]
    late = ht <= horizon
    if late.any():
        span_lo = int(ht[late].min()) // DAY_MS * DAY_MS
        span_hi = (int(ht[late].max()) // DAY_MS + 1) * DAY_MS
        stored = [r for r in stored if not span_lo <= r[0] < span_hi]
        merged = read_one(conn, sid, max(span_lo, lo), min(span_hi, hi), None)
        outside = (ht < span_lo) | (ht >= span_hi)
        ht = np.concatenate([merged.times, ht[outside]])
        hv = merged.values + [v for v, k in zip(hv, outside.tolist(), strict=True) if k]
    result = _rollup_data(stored)
    numeric = [(t, v) for t, v in zip(ht.tolist(), hv, strict=True) if is_number(v)]
    if not numeric:
        return result
    arr = np.array(numeric, dtype=np.float64)
    one = np.zeros(len(arr), dtype=np.int64)
    hot = partials(one, arr[:, 0].astype(np.int64), arr[:, 1], width)
    keep = (hot.bucket >= lo) & (hot.bucket < hi)
    extra = RollupData(
        hot.bucket[keep], hot.n[keep], hot.sum[keep], hot.sumsq[keep], hot.mn[keep], hot.mx[keep]
    )
    return combine_rollups(result, extra)


def _rollup_data(rows: list[tuple[Any, ...]]) -> RollupData:
    # One conversion of the whole result (bucket times and counts are exact in float64).
    arr = np.array(rows, dtype=np.float64).reshape(-1, 6)
    return RollupData(
        buckets=arr[:, 0].astype(np.int64),
        n=arr[:, 1].astype(np.int64),
        sum=arr[:, 2].copy(),
        sumsq=arr[:, 3].copy(),
        mn=arr[:, 4].copy(),
        mx=arr[:, 5].copy(),
    )


def delete(conn: sqlite3.Connection, tenant: str, entity_id: str, attr: str | None) -> int:
    sql = "SELECT sid FROM series WHERE tenant = ? AND entity_id = ?"
    params: list[Any] = [tenant, entity_id]
    if attr is not None:
        sql += " AND attr = ?"
        params.append(attr)
    sids = [r[0] for r in conn.execute(sql, params)]
    removed = 0
    for part in chunks(sids):
        marks = ",".join("?" * len(part))
        removed += conn.execute(
            f"SELECT coalesce(sum(n), 0) FROM sample_blocks WHERE sid IN ({marks})", part
        ).fetchone()[0]
        for table in HOT_TABLES:
            removed += conn.execute(f"DELETE FROM {table} WHERE sid IN ({marks})", part).rowcount
        for table in ("sample_blocks", "rollups", "series"):
            conn.execute(f"DELETE FROM {table} WHERE sid IN ({marks})", part)
    return int(removed)


def purge_before(conn: sqlite3.Connection, cutoff: int) -> int:
    """Drop raw samples older than ``cutoff``; rollups stay. Blocks that straddle it are cut."""
    removed = conn.execute(
        "SELECT coalesce(sum(n), 0) FROM sample_blocks WHERE t1 < ?", (cutoff,)
    ).fetchone()[0]
    conn.execute("DELETE FROM sample_blocks WHERE t1 < ?", (cutoff,))
    straddling = conn.execute(
        "SELECT sid, t0, data FROM sample_blocks WHERE t0 < ? AND t1 >= ?", (cutoff, cutoff)
    ).fetchall()
    for sid, t0, data in straddling:
        block = decode_block(data)
        keep = block.times >= cutoff
        values = [v for v, k in zip(block.to_list(), keep.tolist(), strict=True) if k]
        times = block.times[keep]
        conn.execute("DELETE FROM sample_blocks WHERE sid = ? AND t0 = ?", (sid, t0))
        conn.execute(
            "INSERT INTO sample_blocks (sid, t0, t1, n, data) VALUES (?, ?, ?, ?, ?)",
            (sid, int(times[0]), int(times[-1]), len(times), encode_block(times, values)),
        )
        removed += len(block.times) - len(times)
    for table in HOT_TABLES:
        removed += conn.execute(f"DELETE FROM {table} WHERE t < ?", (cutoff,)).rowcount
    return int(removed)

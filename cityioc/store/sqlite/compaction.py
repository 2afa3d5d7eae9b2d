"""Moves hot samples into compressed blocks and rolls them up: the LSM steps of the SQLite store.

Appending to a small table keeps ingestion cheap (few pages touched per commit, however many
series a batch spans): samples arrive in ``samples_new``, which ``series.fold`` empties into
``samples_hot`` in a sorted run every ~25,000 rows (each run touches each index page of the hot
table once, where every batch did before); compacting every few seconds touches each active
series' tail block once instead of once per batch, and stores a few bytes per sample instead of
~30. The work is batched across series: one query for the series' horizons and tail blocks, one
vectorised rollup pass.

In-order data (the common case) extends each series' tail block and adds its partials to the
rollups. Late data (at or before what a series already holds in blocks) is merged with the blocks
of the days it touches and the rollups of those days are recomputed from the merged samples, so
repeats are stored once and corrections replace the old value everywhere.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson

from cityioc.store.blocks import BLOCK_SIZE, as_list, blocks_of, concat_values, series_runs
from cityioc.store.codec import decode_block, is_number, merge_samples
from cityioc.store.port import ROLLUP_WIDTHS_MS
from cityioc.store.rollups import partials
from cityioc.store.sqlite.entities import chunks
from cityioc.store.sqlite.one_statement import delete_blocks, insert_blocks, rows_of
from cityioc.store.sqlite.series import DAY_MS, LOWEST, SeriesIndex, block_samples, fold

_MOVE_HORIZONS = (
    "UPDATE series SET compacted_to = max(compacted_to, u.value ->> 0)"
    " FROM json_each(?) AS u WHERE series.sid = u.value ->> 1"
)
# Rows as one JSON array (one_statement.py); ``WHERE true`` tells the parser that ON CONFLICT
# belongs to the INSERT.
_UPSERT_ROLLUPS = (
    "INSERT INTO rollups (sid, width, bucket, n, sum, sumsq, mn, mx)"
    " SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5,"
    " value ->> 6, value ->> 7 FROM json_each(?) WHERE true"
    " ON CONFLICT (sid, width, bucket) DO UPDATE SET"
    " n = n + excluded.n, sum = sum + excluded.sum, sumsq = sumsq + excluded.sumsq,"
    " mn = min(mn, excluded.mn), mx = max(mx, excluded.mx)"
)


def compact(conn: sqlite3.Connection, index: SeriesIndex, max_rows: int | None = None) -> int:
    """Compact the rows of ``samples_hot`` (without ``max_rows``: every hot row, ``samples_new``
    folded first); returns how many were moved. Runs inside a write transaction.

    With ``max_rows``, only the first series (by id) holding about that many hot rows — whole
    series, so each series' samples move together — so that one compaction step holds the writer
    (and the GIL) briefly; call again until it returns 0.
    """
    if max_rows is None:
        fold(conn, index)
    where, params = _slice(conn, max_rows)
    rows = rows_of(
        conn, ("sid", "t", "v", "j"), f"FROM samples_hot{where} ORDER BY sid, t, rowid", params
    )
    if not rows:
        index.hot_rows = index.new_rows
        return 0
    conn.execute(f"DELETE FROM samples_hot{where}", params)
    index.hot_rows = max(0, index.hot_rows - len(rows)) if where else index.new_rows
    hot = _HotRows(rows)
    groups = hot.groups()
    horizons = _horizons(conn, [sid for sid, _, _ in groups])
    tails = _tails(conn, [sid for sid, _, _ in groups])
    blocks: list[tuple[int, int, int, int, bytes]] = []
    dropped_tails: list[tuple[int, int]] = []
    appended = np.zeros(len(hot.sids), dtype=bool)
    moved: list[tuple[int, int]] = []
    for sid, lo, hi in groups:
        horizon = horizons.get(sid)
        if horizon is None:
            continue  # the series was deleted meanwhile
        times, values = hot.times[lo:hi], hot.values(lo, hi)
        moved.append((int(times[-1]), sid))
        if horizon != LOWEST and times[0] <= horizon:
            _merge_late(conn, sid, times, as_list(values))
            continue
        appended[lo:hi] = True
        tail = tails.get(sid)
        if tail is not None and tail[1] < BLOCK_SIZE:
            old = decode_block(tail[2])
            dropped_tails.append((sid, tail[0]))
            times = np.concatenate([old.times, times])
            values = concat_values(old.values, values)
        blocks += blocks_of(sid, times, values)
    delete_blocks(conn, dropped_tails)
    insert_blocks(conn, blocks)
    numeric = appended & hot.numeric
    _add_rollups(conn, hot.sids[numeric], hot.times[numeric], hot.v[numeric])
    conn.execute(_MOVE_HORIZONS, (orjson.dumps(moved),))
    return len(rows)


def _slice(conn: sqlite3.Connection, max_rows: int | None) -> tuple[str, tuple[int, ...]]:
    """The WHERE clause of one compaction step: every series below the ``max_rows``-th hot row's."""
    if max_rows is None:
        return "", ()
    row = conn.execute(
        "SELECT sid FROM samples_hot ORDER BY sid LIMIT 1 OFFSET ?", (max_rows,)
    ).fetchone()
    if row is None:
        return "", ()  # fewer than max_rows: all of them
    first = conn.execute("SELECT min(sid) FROM samples_hot").fetchone()[0]
    # One series may hold more than max_rows: then that series alone.
    return (" WHERE sid < ?", (row[0],)) if row[0] > first else (" WHERE sid = ?", (first,))


class _HotRows:
    """Hot rows (sorted by sid, t, rowid) as arrays, one row per (sid, t): the last write wins."""

    def __init__(self, rows: Sequence[Sequence[Any]]) -> None:
        n = len(rows)
        sids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
        times = np.fromiter((r[1] for r in rows), dtype=np.int64, count=n)
        last = np.ones(n, dtype=bool)
        last[:-1] = (sids[1:] != sids[:-1]) | (times[1:] != times[:-1])
        keep = np.flatnonzero(last)
        self.sids, self.times = sids[keep], times[keep]
        kept = [rows[i] for i in keep.tolist()]
        self.numeric = np.fromiter((r[3] is None for r in kept), dtype=bool, count=len(kept))
        self.v = np.fromiter(
            (r[2] if r[3] is None else np.nan for r in kept), dtype=np.float64, count=len(kept)
        )
        self._json = {i: r[3] for i, r in enumerate(kept) if r[3] is not None}

    def groups(self) -> list[tuple[int, int, int]]:
        """(sid, start, end) of each series' run."""
        return series_runs(self.sids)

    def values(self, lo: int, hi: int) -> np.ndarray | list[Any]:
        """Float64 when the run is all numbers (the codec's fast path), else Python values."""
        if self.numeric[lo:hi].all():
            return self.v[lo:hi]
        return [
            float(self.v[i]) if self.numeric[i] else orjson.loads(self._json[i])
            for i in range(lo, hi)
        ]


def _horizons(conn: sqlite3.Connection, sids: Sequence[int]) -> dict[int, int]:
    found: dict[int, int] = {}
    for part in chunks(list(sids)):
        marks = ",".join("?" * len(part))
        rest = f"FROM series WHERE sid IN ({marks})"
        found.update((sid, t) for sid, t in rows_of(conn, ("sid", "compacted_to"), rest, part))
    return found


def _tails(conn: sqlite3.Connection, sids: Sequence[int]) -> dict[int, tuple[int, int, bytes]]:
    found: dict[int, tuple[int, int, bytes]] = {}
    for part in chunks(list(sids)):
        marks = ",".join("?" * len(part))
        rest = (
            "FROM sample_blocks b JOIN (SELECT sid, max(t0) AS t0"
            f" FROM sample_blocks WHERE sid IN ({marks}) GROUP BY sid) m USING (sid, t0)"
        )
        columns = ("b.sid", "b.t0", "b.n", "hex(b.data)")
        for sid, t0, n, data in rows_of(conn, columns, rest, part):
            found[sid] = (t0, n, bytes.fromhex(data))
    return found


def _numeric(times: np.ndarray, values: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    mask = np.fromiter((is_number(v) for v in values), dtype=bool, count=len(values))
    v = np.array([x for x, m in zip(values, mask.tolist(), strict=True) if m], dtype=np.float64)
    return times[mask], v


def _add_rollups(
    conn: sqlite3.Connection, sids: np.ndarray, times: np.ndarray, values: np.ndarray
) -> None:
    if len(times) == 0:
        return
    for width in ROLLUP_WIDTHS_MS:
        rows = partials(sids, times, values, width).rows(width)
        conn.execute(_UPSERT_ROLLUPS, (orjson.dumps(rows),))


def _merge_late(conn: sqlite3.Connection, sid: int, times: np.ndarray, values: list[Any]) -> None:
    span_lo = int(times[0]) // DAY_MS * DAY_MS
    span_hi = (int(times[-1]) // DAY_MS + 1) * DAY_MS
    old_t, old_v = block_samples(conn, sid, span_lo, span_hi)
    conn.execute(
        "DELETE FROM sample_blocks WHERE sid = ? AND t1 >= ? AND t0 < ?", (sid, span_lo, span_hi)
    )
    merged_t, merged = merge_samples(old_t, old_v, times, values)
    merged_v = list(merged)
    insert_blocks(conn, blocks_of(sid, merged_t, merged_v))
    # Recompute whole days: every hour and day bucket in the span is fully covered.
    conn.execute(
        "DELETE FROM rollups WHERE sid = ? AND bucket >= ? AND bucket < ?", (sid, span_lo, span_hi)
    )
    inside = (merged_t >= span_lo) & (merged_t < span_hi)
    t, v = _numeric(
        merged_t[inside], [x for x, k in zip(merged_v, inside.tolist(), strict=True) if k]
    )
    _add_rollups(conn, np.full(len(t), sid, dtype=np.int64), t, v)

"""Time series in SQLite: samples clustered by (series, time) and rollups maintained per batch."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import orjson

from cityioc.hub.models import Sample
from cityioc.store.port import ROLLUP_WIDTHS_MS, RollupData, SeriesData, SeriesKey
from cityioc.store.rollups import partials
from cityioc.store.sqlite.entities import chunks

SeriesCacheKey = tuple[str, str, str, str]


class SeriesIndex:
    """The writer's memory of series ids and their latest time, so the hot path needs no lookups.

    Only the writer thread touches it; it is rebuilt lazily after a restart.
    """

    def __init__(self) -> None:
        self.sid: dict[SeriesCacheKey, int] = {}
        self.last_t: dict[int, int] = {}

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
            sid, last_t = conn.execute(
                "SELECT sid, last_t FROM series WHERE tenant = ? AND entity_id = ? AND attr = ?"
                " AND dataset_id = ?",
                key,
            ).fetchone()
            self.sid[key] = sid
            self.last_t[sid] = last_t

    def forget(self, tenant: str, entity_id: str) -> None:
        for key in [k for k in self.sid if k[0] == tenant and k[1] == entity_id]:
            self.last_t.pop(self.sid.pop(key), None)


def _split(value: Any) -> tuple[float | None, str | None]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value), None
    return None, orjson.dumps(value).decode()


def write_samples(
    conn: sqlite3.Connection, index: SeriesIndex, tenant: str, samples: Sequence[Sample]
) -> int:
    """Store samples once each (a repeated (series, time) replaces the value); rows written."""
    if not samples:
        return 0
    index.resolve(conn, {(tenant, s.entity_id, s.attr, s.dataset_id) for s in samples})
    latest: dict[tuple[int, int], tuple[float | None, str | None]] = {}
    sid_of = index.sid
    for s in samples:
        sid = sid_of[(tenant, s.entity_id, s.attr, s.dataset_id)]
        latest[(sid, s.t)] = _split(s.value)
    last_t = index.last_t
    late = [key for key in latest if key[1] <= last_t[key[0]]]
    replaced: list[tuple[int, int]] = []
    if late:
        replaced = _drop_repeats(conn, latest, late)
    rows = [(sid, t, v, j) for (sid, t), (v, j) in latest.items()]
    conn.executemany("INSERT OR REPLACE INTO samples (sid, t, v, j) VALUES (?, ?, ?, ?)", rows)
    _add_rollups(conn, rows, replaced)
    moved: dict[int, int] = {}
    for sid, t in latest:
        if t > last_t[sid] and t > moved.get(sid, last_t[sid]):
            moved[sid] = t
    if moved:
        conn.executemany(
            "UPDATE series SET last_t = ? WHERE sid = ?", [(t, s) for s, t in moved.items()]
        )
        last_t.update(moved)
    return len(rows)


def _drop_repeats(
    conn: sqlite3.Connection,
    latest: dict[tuple[int, int], tuple[float | None, str | None]],
    late: list[tuple[int, int]],
) -> list[tuple[int, int]]:
    """Remove exact repeats (redelivery) from ``latest``; return the keys whose value changes."""
    replaced = []
    for sid, t in late:
        row = conn.execute("SELECT v, j FROM samples WHERE sid = ? AND t = ?", (sid, t)).fetchone()
        if row is None:
            continue
        if _same(tuple(row), latest[(sid, t)]):
            del latest[(sid, t)]
        else:
            replaced.append((sid, t))
    return replaced


def _same(old: tuple[Any, ...], new: tuple[float | None, str | None]) -> bool:
    if old[1] is not None or new[1] is not None:
        return bool(old[1] == new[1])
    a, b = old[0], new[0]
    return bool(
        a == b
        or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))
    )


def _add_rollups(
    conn: sqlite3.Connection,
    rows: list[tuple[int, int, float | None, str | None]],
    replaced: list[tuple[int, int]],
) -> None:
    replaced_set = set(replaced)
    numeric = [
        (sid, t, v) for sid, t, v, _ in rows if v is not None and (sid, t) not in replaced_set
    ]
    if numeric:
        arr = np.array(numeric, dtype=np.float64)
        sids = arr[:, 0].astype(np.int64)
        times = arr[:, 1].astype(np.int64)
        values = arr[:, 2]
        for width in ROLLUP_WIDTHS_MS:
            conn.executemany(
                "INSERT INTO rollups (sid, width, bucket, n, sum, sumsq, mn, mx)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sid, width, bucket) DO UPDATE SET"
                " n = n + excluded.n, sum = sum + excluded.sum, sumsq = sumsq + excluded.sumsq,"
                " mn = min(mn, excluded.mn), mx = max(mx, excluded.mx)",
                partials(sids, times, values, width).rows(width),
            )
    for sid, t in replaced:  # a corrected value: rebuild its buckets from the raw samples
        for width in ROLLUP_WIDTHS_MS:
            rebuild_rollup(conn, sid, width, (t // width) * width)


def rebuild_rollup(conn: sqlite3.Connection, sid: int, width: int, bucket: int) -> None:
    conn.execute(
        "DELETE FROM rollups WHERE sid = ? AND width = ? AND bucket = ?", (sid, width, bucket)
    )
    conn.execute(
        "INSERT INTO rollups (sid, width, bucket, n, sum, sumsq, mn, mx)"
        " SELECT sid, ?, ?, count(v), sum(v), sum(v * v), min(v), max(v) FROM samples"
        " WHERE sid = ? AND t >= ? AND t < ? AND v IS NOT NULL GROUP BY sid",
        (width, bucket, sid, bucket, bucket + width),
    )


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


def read(
    conn: sqlite3.Connection,
    tenant: str,
    keys: Collection[SeriesKey],
    start: int | None,
    end: int | None,
    last_n: int | None,
) -> dict[SeriesKey, SeriesData]:
    out = {}
    lo = start if start is not None else -(2**63)
    hi = end if end is not None else 2**63 - 1
    for key, sid in series_ids(conn, tenant, keys).items():
        if last_n is not None:
            rows = conn.execute(
                "SELECT t, v, j FROM samples WHERE sid = ? AND t >= ? AND t < ?"
                " ORDER BY t DESC LIMIT ?",
                (sid, lo, hi, last_n),
            ).fetchall()
            rows.reverse()
        else:
            rows = conn.execute(
                "SELECT t, v, j FROM samples WHERE sid = ? AND t >= ? AND t < ? ORDER BY t",
                (sid, lo, hi),
            ).fetchall()
        times = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        values = [r[1] if r[2] is None else orjson.loads(r[2]) for r in rows]
        out[key] = SeriesData(times, values)
    return out


def series_of(conn: sqlite3.Connection, tenant: str, entity_id: str) -> list[SeriesKey]:
    return [
        SeriesKey(entity_id, attr, ds)
        for attr, ds in conn.execute(
            "SELECT attr, dataset_id FROM series WHERE tenant = ? AND entity_id = ? ORDER BY sid",
            (tenant, entity_id),
        )
    ]


def extent(conn: sqlite3.Connection, tenant: str, key: SeriesKey) -> tuple[int, int] | None:
    """First and last sample time of a series (two index probes, no scan)."""
    ids = series_ids(conn, tenant, [key])
    if key not in ids:
        return None
    sid = ids[key]
    first = conn.execute("SELECT min(t) FROM samples WHERE sid = ?", (sid,)).fetchone()[0]
    if first is None:
        return None
    last = conn.execute("SELECT max(t) FROM samples WHERE sid = ?", (sid,)).fetchone()[0]
    return int(first), int(last)


def read_rollups(
    conn: sqlite3.Connection,
    tenant: str,
    key: SeriesKey,
    width: int,
    start: int | None,
    end: int | None,
) -> RollupData:
    ids = series_ids(conn, tenant, [key])
    rows: list[tuple[Any, ...]] = []
    if key in ids:
        rows = conn.execute(
            "SELECT bucket, n, sum, sumsq, mn, mx FROM rollups WHERE sid = ? AND width = ?"
            " AND bucket >= ? AND bucket < ? ORDER BY bucket",
            (
                ids[key],
                width,
                start if start is not None else -(2**63),
                end if end is not None else 2**63 - 1,
            ),
        ).fetchall()
    cols = list(zip(*rows, strict=True)) if rows else [()] * 6
    return RollupData(
        buckets=np.array(cols[0], dtype=np.int64),
        n=np.array(cols[1], dtype=np.int64),
        sum=np.array(cols[2], dtype=np.float64),
        sumsq=np.array(cols[3], dtype=np.float64),
        mn=np.array(cols[4], dtype=np.float64),
        mx=np.array(cols[5], dtype=np.float64),
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
        removed += conn.execute(f"DELETE FROM samples WHERE sid IN ({marks})", part).rowcount
        conn.execute(f"DELETE FROM rollups WHERE sid IN ({marks})", part)
        conn.execute(f"DELETE FROM series WHERE sid IN ({marks})", part)
    return removed

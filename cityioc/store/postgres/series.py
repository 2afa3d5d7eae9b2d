"""Time series in PostgreSQL: samples by binary COPY, rollups maintained by set-based SQL.

The common batch, all new (series, time) keys, is a COPY straight into ``samples``, a COPY of its
rollup partials (computed with numpy) into staging and one upsert of them. Inserting without
``ON CONFLICT`` costs less than half as much (no speculative insertion), so repeats are found by
failing: the COPY runs under a savepoint, and a unique violation sends the batch down the careful
path. There the batch is staged and a data-modifying CTE inserts it with ``ON CONFLICT DO
NOTHING``, feeding exactly the rows it inserted to the rollup upsert, so a redelivered sample is
neither stored nor counted twice, even when two processes race; then repeats with a changed value
replace the stored one and their rollup buckets are rebuilt from raw. A few samples (what a
single-entity write brings), or any number inside a pipeline, skip the COPY: that same CTE takes
them as array parameters, one statement that can travel in a pipeline.

Statements touch rows in (series, time) order, so concurrent writers mostly queue rather than
deadlock; a deadlock that still happens is retried by the store.
"""

from __future__ import annotations

import operator
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final, cast

import numpy as np
import orjson
from psycopg import AsyncCursor
from psycopg.errors import UniqueViolation
from psycopg.pq import PipelineStatus

from cityioc.hub.models import Sample
from cityioc.store.port import ROLLUP_WIDTHS_MS, RollupData, SeriesData, SeriesKey
from cityioc.store.postgres import staging

Cursor = AsyncCursor[tuple[Any, ...]]
Key = tuple[str, str, str]  # entity_id, attr, dataset_id

NOTIFY_CHANNEL: Final = "cityioc_series"
# Up to this many samples go as parameters (in a pipeline they always do) rather than by COPY.
FEW_SAMPLES: Final = 64
_KEY = operator.attrgetter("entity_id", "attr", "dataset_id")
_T = operator.attrgetter("t")
_VALUE = operator.attrgetter("value")
_WIDTHS = ", ".join(f"({w})" for w in ROLLUP_WIDTHS_MS)
_MIN, _MAX = -(2**63), 2**63 - 1

_COPY_NEW = "COPY samples (sid, t, v, j) FROM STDIN (FORMAT BINARY)"
_ADD_ROLLUPS = """
INSERT INTO rollups AS r
SELECT * FROM unnest(%b::int[], %b::int[], %b::bigint[], %b::bigint[], %b::float8[],
                     %b::float8[], %b::float8[], %b::float8[])
ORDER BY 1, 2, 3
ON CONFLICT (sid, width, bucket) DO UPDATE SET
    n = r.n + excluded.n, sum = r.sum + excluded.sum, sumsq = r.sumsq + excluded.sumsq,
    mn = least(r.mn, excluded.mn), mx = greatest(r.mx, excluded.mx)
"""


def _insert_new(source: str) -> str:
    """Insert the samples of ``source`` that are new, add them to their rollups, count them."""
    return f"""
WITH ins AS (
    INSERT INTO samples (sid, t, v, j)
    SELECT sid, t, v, j FROM {source} ORDER BY sid, t
    ON CONFLICT (sid, t) DO NOTHING
    RETURNING sid, t, v
), roll AS (
    INSERT INTO rollups AS r (sid, width, bucket, n, sum, sumsq, mn, mx)
    SELECT ins.sid, w.width, ins.t - mod(mod(ins.t, w.width) + w.width, w.width),
           count(*), sum(ins.v), sum(ins.v * ins.v), min(ins.v), max(ins.v)
    FROM ins CROSS JOIN (VALUES {_WIDTHS}) AS w (width)
    WHERE ins.v IS NOT NULL
    GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    ON CONFLICT (sid, width, bucket) DO UPDATE SET
        n = r.n + excluded.n, sum = r.sum + excluded.sum, sumsq = r.sumsq + excluded.sumsq,
        mn = least(r.mn, excluded.mn), mx = greatest(r.mx, excluded.mx)
)
SELECT count(*) FROM ins
"""


_INSERT = _insert_new(staging.SAMPLES)
# A few samples sent as parameters instead (a pipeline cannot carry a COPY): a single-entity
# write adds its samples and their rollups in one statement, sent along with the entity's UPDATE.
_PARAMS = (
    "(SELECT sid, t, v, j::jsonb AS j"
    " FROM unnest(%b::int[], %b::bigint[], %b::float8[], %b::text[]) AS u (sid, t, v, j)) AS p"
)
_INSERT_PARAMS = _insert_new(_PARAMS)
_STAGE_PARAMS = f"INSERT INTO {staging.SAMPLES} (sid, t, v, j) SELECT sid, t, v, j FROM {_PARAMS}"

# A repeat with a different value replaces the stored one (NaN equals NaN here, as in SQLite).
_REPLACE = f"""
UPDATE samples AS s SET v = st.v, j = st.j FROM {staging.SAMPLES} AS st
WHERE s.sid = st.sid AND s.t = st.t AND (s.v IS DISTINCT FROM st.v OR s.j IS DISTINCT FROM st.j)
RETURNING s.sid, s.t
"""
_BUCKETS = "unnest(%b::int[], %b::int[], %b::bigint[]) AS k (sid, width, bucket)"
# Rebuilding a bucket: make sure its row exists (an empty aggregate: adding to it is exact), lock
# it, which waits out writers that already counted into it, then recount from raw in a later
# statement, whose snapshot sees what they wrote. Writers arriving later add to the rebuilt row.
_REBUILD = (
    "INSERT INTO rollups (sid, width, bucket, n, sum, sumsq, mn, mx)"
    f" SELECT sid, width, bucket, 0, 0, 0, 'Infinity', '-Infinity' FROM {_BUCKETS}"
    " ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING",
    f"SELECT 1 FROM rollups AS r JOIN {_BUCKETS} USING (sid, width, bucket)"
    " ORDER BY r.sid, r.width, r.bucket FOR UPDATE OF r",
    "UPDATE rollups AS r SET n = a.n, sum = a.sum, sumsq = a.sumsq, mn = a.mn, mx = a.mx FROM ("
    "  SELECT k.sid, k.width, k.bucket, count(s.v) AS n, coalesce(sum(s.v), 0) AS sum,"
    "   coalesce(sum(s.v * s.v), 0) AS sumsq, coalesce(min(s.v), 'Infinity') AS mn,"
    "   coalesce(max(s.v), '-Infinity') AS mx"
    f"  FROM {_BUCKETS} LEFT JOIN samples AS s ON s.sid = k.sid AND s.t >= k.bucket"
    "   AND s.t < k.bucket + k.width AND s.v IS NOT NULL GROUP BY 1, 2, 3"
    ") AS a WHERE r.sid = a.sid AND r.width = a.width AND r.bucket = a.bucket",
    f"DELETE FROM rollups AS r USING {_BUCKETS}"
    " WHERE r.sid = k.sid AND r.width = k.width AND r.bucket = k.bucket AND r.n = 0",
)


class SeriesCache:
    """This process's memory of series ids, so the hot path needs no lookups.

    Filled only after the transaction that found or created an id commits; emptied per entity
    when any process deletes its series (a NOTIFY on ``NOTIFY_CHANNEL``).
    """

    def __init__(self) -> None:
        self.sid: dict[str, dict[Key, int]] = {}
        self._by_entity: dict[tuple[str, str], list[Key]] = {}  # so forgetting needs no scan

    def remember(self, tenant: str, found: Mapping[Key, int]) -> None:
        if found:
            self.sid.setdefault(tenant, {}).update(found)
            for key in found:
                self._by_entity.setdefault((tenant, key[0]), []).append(key)

    def forget(self, tenant: str, entity_id: str) -> None:
        known = self.sid.get(tenant, {})
        for key in self._by_entity.pop((tenant, entity_id), []):
            known.pop(key, None)

    def clear(self) -> None:
        self.sid.clear()
        self._by_entity.clear()


async def resolve(cur: Cursor, tenant: str, keys: Collection[Key]) -> dict[Key, int]:
    """Ids of these series, creating the missing ones: one insert, one select."""
    ents, attrs, sets = (staging.pg_list("text", col) for col in zip(*sorted(keys), strict=True))
    await cur.execute(
        "INSERT INTO series (tenant, entity_id, attr, dataset_id)"
        " SELECT %s, e, a, d FROM unnest(%b::text[], %b::text[], %b::text[]) AS k (e, a, d)"
        " ORDER BY 2, 3, 4 ON CONFLICT DO NOTHING",
        (tenant, ents, attrs, sets),
    )
    await cur.execute(
        "SELECT s.entity_id, s.attr, s.dataset_id, s.sid FROM series AS s"
        " JOIN unnest(%b::text[], %b::text[], %b::text[]) AS k (e, a, d)"
        " ON s.entity_id = k.e AND s.attr = k.a AND s.dataset_id = k.d WHERE s.tenant = %s",
        (ents, attrs, sets, tenant),
    )
    return {(e, a, d): sid for e, a, d, sid in await cur.fetchall()}


async def write_samples(
    cur: Cursor, cache: SeriesCache, tenant: str, samples: Sequence[Sample]
) -> dict[Key, int]:
    """Store the batch; returns the series ids it had to look up, for the cache after commit."""
    if not samples:
        return {}
    keys = list(map(_KEY, samples))
    cached: list[int | None] = list(map(cache.sid.get(tenant, {}).get, keys))
    found: dict[Key, int] = {}
    if None in cached:
        found = await resolve(
            cur, tenant, {k for k, s in zip(keys, cached, strict=True) if s is None}
        )
        cached = [found[k] if s is None else s for k, s in zip(keys, cached, strict=True)]
    sids = cast(list[int], cached)  # every key resolved by now
    if len(samples) <= FEW_SAMPLES or cur.connection.pgconn.pipeline_status != PipelineStatus.OFF:
        await _write_few(cur, sids, samples)
        return found
    staged = staging.stage(sids, list(map(_T, samples)), list(map(_VALUE, samples)))
    try:
        async with cur.connection.transaction(), cur.copy(_COPY_NEW) as copy:  # a savepoint
            await copy.write(staged.samples)
    except UniqueViolation:  # some were stored before: the careful path
        async with cur.copy(staging.COPY_SAMPLES) as copy:
            await copy.write(staged.samples)
        await cur.execute(_INSERT)
        row = await cur.fetchone()
        if row is None or row[0] < staged.rows:
            await _replace_changed(cur)
        return found
    await cur.execute(_ADD_ROLLUPS, staged.rollups)
    return found


async def _write_few(cur: Cursor, sids: Sequence[int], samples: Sequence[Sample]) -> None:
    """Samples in one statement, as parameters: what a single-entity write sends. Unlike COPY it
    works in a pipeline, so it travels with the entity's UPDATE in one round trip."""
    last = {(sid, s.t): s.value for sid, s in zip(sids, samples, strict=True)}  # last one wins
    values = list(last.values())
    floats, numeric = staging.numbers(values)
    floats_or_null = [float(f) if ok else None for f, ok in zip(floats, numeric, strict=True)]
    json_or_null = [
        None if ok else orjson.dumps(v).decode() for v, ok in zip(values, numeric, strict=True)
    ]
    params = (
        staging.pg_list("int4", [k[0] for k in last]),
        staging.pg_list("int8", [k[1] for k in last]),
        staging.pg_list("float8", floats_or_null),
        staging.pg_list("text", json_or_null),
    )
    await cur.execute(_INSERT_PARAMS, params)
    row = await cur.fetchone()
    if row is None or row[0] < len(last):  # some were stored before: settle them as COPY does
        await cur.execute(_STAGE_PARAMS, params)
        await _replace_changed(cur)


async def _replace_changed(cur: Cursor) -> None:
    await cur.execute(_REPLACE)
    changed = await cur.fetchall()
    if not changed:
        return
    buckets = sorted({(sid, w, t - t % w) for sid, t in changed for w in ROLLUP_WIDTHS_MS})
    params = tuple(list(col) for col in zip(*buckets, strict=True))
    for statement in _REBUILD:  # separate statements: each takes a fresh snapshot
        await cur.execute(statement, params)


async def series_ids(cur: Cursor, tenant: str, keys: Collection[SeriesKey]) -> dict[SeriesKey, int]:
    if not keys:
        return {}
    wanted = {(k.entity_id, k.attr, k.dataset_id): k for k in keys}
    ents, attrs, sets = (list(col) for col in zip(*wanted, strict=True))
    await cur.execute(
        "SELECT s.entity_id, s.attr, s.dataset_id, s.sid FROM series AS s"
        " JOIN unnest(%b::text[], %b::text[], %b::text[]) AS k (e, a, d)"
        " ON s.entity_id = k.e AND s.attr = k.a AND s.dataset_id = k.d WHERE s.tenant = %s",
        (ents, attrs, sets, tenant),
    )
    return {wanted[(e, a, d)]: sid for e, a, d, sid in await cur.fetchall()}


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
    lo = window[0] if window[0] is not None else _MIN
    hi = window[1] if window[1] is not None else _MAX
    sids = sorted(set(ids.values()))
    if last_n is not None:
        await cur.execute(
            "SELECT k.sid, x.t, x.v, x.j FROM unnest(%b::int[]) AS k (sid) CROSS JOIN LATERAL"
            " (SELECT t, v, j FROM samples WHERE sid = k.sid AND t >= %s AND t < %s"
            "  ORDER BY t DESC LIMIT %s) AS x ORDER BY k.sid, x.t",
            (sids, lo, hi, last_n),
        )
    else:
        await cur.execute(
            "SELECT sid, t, v, j FROM samples WHERE sid = ANY(%b::int[]) AND t >= %s AND t < %s"
            " ORDER BY sid, t",
            (sids, lo, hi),
        )
    rows: dict[int, list[tuple[Any, ...]]] = {sid: [] for sid in sids}
    for row in await cur.fetchall():
        rows[row[0]].append(row)
    out = {}
    for key, sid in ids.items():
        mine = rows[sid]
        times = np.fromiter((r[1] for r in mine), dtype=np.int64, count=len(mine))
        out[key] = SeriesData(times, [r[2] if r[3] is None else r[3] for r in mine])
    return out


async def series_of(cur: Cursor, tenant: str, entity_id: str) -> list[SeriesKey]:
    await cur.execute(
        "SELECT attr, dataset_id FROM series WHERE tenant = %s AND entity_id = %s ORDER BY sid",
        (tenant, entity_id),
    )
    return [SeriesKey(entity_id, attr, ds) for attr, ds in await cur.fetchall()]


async def extent(cur: Cursor, tenant: str, key: SeriesKey) -> tuple[int, int] | None:
    """First and last sample time of a series (both ends of its index, no scan)."""
    ids = await series_ids(cur, tenant, [key])
    if key not in ids:
        return None
    await cur.execute("SELECT min(t), max(t) FROM samples WHERE sid = %s", (ids[key],))
    row = await cur.fetchone()
    return (int(row[0]), int(row[1])) if row and row[0] is not None else None


async def read_rollups(
    cur: Cursor, tenant: str, key: SeriesKey, width: int, window: tuple[int | None, int | None]
) -> RollupData:
    ids = await series_ids(cur, tenant, [key])
    rows: list[tuple[Any, ...]] = []
    if key in ids:
        await cur.execute(
            "SELECT bucket, n, sum, sumsq, mn, mx FROM rollups WHERE sid = %s AND width = %s"
            " AND bucket >= %s AND bucket < %s ORDER BY bucket",
            (
                ids[key],
                width,
                window[0] if window[0] is not None else _MIN,
                window[1] if window[1] is not None else _MAX,
            ),
        )
        rows = await cur.fetchall()
    cols = list(zip(*rows, strict=True)) if rows else [()] * 6
    return RollupData(
        buckets=np.array(cols[0], dtype=np.int64),
        n=np.array(cols[1], dtype=np.int64),
        sum=np.array(cols[2], dtype=np.float64),
        sumsq=np.array(cols[3], dtype=np.float64),
        mn=np.array(cols[4], dtype=np.float64),
        mx=np.array(cols[5], dtype=np.float64),
    )


async def delete(cur: Cursor, tenant: str, entity_id: str, attr: str | None) -> int:
    """Remove the series with their samples and rollups; tell every process to forget their ids."""
    where = "tenant = %s AND entity_id = %s" + (" AND attr = %s" if attr is not None else "")
    params = (tenant, entity_id) if attr is None else (tenant, entity_id, attr)
    await cur.execute(
        f"WITH gone AS (DELETE FROM series WHERE {where} RETURNING sid),"
        " r AS (DELETE FROM rollups WHERE sid IN (SELECT sid FROM gone)),"
        " s AS (DELETE FROM samples WHERE sid IN (SELECT sid FROM gone) RETURNING 1)"
        " SELECT count(*) FROM s",
        params,
    )
    row = await cur.fetchone()
    await cur.execute(
        "SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, orjson.dumps([tenant, entity_id]).decode())
    )
    return int(row[0]) if row else 0

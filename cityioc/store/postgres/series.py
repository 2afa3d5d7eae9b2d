"""Time series in PostgreSQL, the write side: samples into the hot table ``samples``.

The common batch, all new (series, time) keys, is a binary COPY straight into ``samples``.
Inserting without ``ON CONFLICT`` costs less than half as much (no speculative insertion), so
repeats are found by failing: the COPY runs under a savepoint, and a unique violation sends the
batch down the careful path, where it is staged and upserted: a redelivered hot sample is stored
once, a changed value replaces the stored one. A few samples (what a single-entity write brings),
or any number inside a pipeline, skip the COPY: the same upsert takes them as array parameters,
one statement that can travel in a pipeline.

Writes touch no rollups: the compactor (``compaction``) moves hot rows into blocks and adds them
to the rollups, and settles repeats of samples it had already moved (late data); readers
(``reads``) add the partials of the hot rows, so aggregates are exact at any moment.

Statements touch rows in (series, time) order, so concurrent writers mostly queue rather than
deadlock; a deadlock that still happens is retried by the store.
"""

from __future__ import annotations

import operator
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final, cast

import orjson
from psycopg import AsyncCursor
from psycopg.errors import UniqueViolation
from psycopg.pq import PipelineStatus

from cityioc.hub.models import Sample
from cityioc.store.port import SeriesKey
from cityioc.store.postgres import staging

Cursor = AsyncCursor[tuple[Any, ...]]
Key = tuple[str, str, str]  # entity_id, attr, dataset_id

NOTIFY_CHANNEL: Final = "cityioc_series"
# Up to this many samples go as parameters (in a pipeline they always do) rather than by COPY.
FEW_SAMPLES: Final = 64
_KEY = operator.attrgetter("entity_id", "attr", "dataset_id")
_T = operator.attrgetter("t")
_VALUE = operator.attrgetter("value")

_COPY_NEW = "COPY samples (sid, t, v, j) FROM STDIN (FORMAT BINARY)"


def _upsert(source: str) -> str:
    """Store the samples of ``source``: new ones inserted, a repeat with a different value
    replacing the hot one (NaN equals NaN here, as in SQLite). One statement, so a hot row the
    compactor deletes meanwhile is inserted again rather than updated in vain."""
    return f"""
INSERT INTO samples AS s (sid, t, v, j)
SELECT sid, t, v, j FROM {source} ORDER BY sid, t
ON CONFLICT (sid, t) DO UPDATE SET v = excluded.v, j = excluded.j
WHERE s.v IS DISTINCT FROM excluded.v OR s.j IS DISTINCT FROM excluded.j
"""


_UPSERT = _upsert(staging.SAMPLES)
# A few samples sent as parameters instead (a pipeline cannot carry a COPY): a single-entity
# write adds its samples in one statement, sent along with the entity's UPDATE.
_UPSERT_PARAMS = _upsert(
    "(SELECT sid, t, v, j::jsonb AS j"
    " FROM unnest(%b::int[], %b::bigint[], %b::float8[], %b::text[]) AS u (sid, t, v, j)) AS p"
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
    except UniqueViolation:  # some are hot already: the careful path
        async with cur.copy(staging.COPY_SAMPLES) as copy:
            await copy.write(staged.samples)
        await cur.execute(_UPSERT)
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
    await cur.execute(_UPSERT_PARAMS, params)


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


async def series_of(cur: Cursor, tenant: str, entity_id: str) -> list[SeriesKey]:
    await cur.execute(
        "SELECT attr, dataset_id FROM series WHERE tenant = %s AND entity_id = %s ORDER BY sid",
        (tenant, entity_id),
    )
    return [SeriesKey(entity_id, attr, ds) for attr, ds in await cur.fetchall()]


async def delete(cur: Cursor, tenant: str, entity_id: str, attr: str | None) -> int:
    """Remove the series with their samples, blocks and rollups; tell every process to forget
    their ids. Run inside a transaction."""
    where = "tenant = %s AND entity_id = %s" + (" AND attr = %s" if attr is not None else "")
    params = (tenant, entity_id) if attr is None else (tenant, entity_id, attr)
    # First the series rows: that waits out a compaction step holding them, so the statement
    # after it (a snapshot of its own) sees the blocks that step wrote.
    await cur.execute(f"DELETE FROM series WHERE {where} RETURNING sid", params)
    sids = [row[0] for row in await cur.fetchall()]
    removed = 0
    if sids:
        await cur.execute(
            "WITH b AS (DELETE FROM sample_blocks WHERE sid = ANY(%(s)s::int[]) RETURNING n),"
            " h AS (DELETE FROM samples WHERE sid = ANY(%(s)s::int[]) RETURNING 1),"
            " r AS (DELETE FROM rollups WHERE sid = ANY(%(s)s::int[]))"
            " SELECT (SELECT coalesce(sum(n), 0) FROM b) + (SELECT count(*) FROM h)",
            {"s": sids},
        )
        row = await cur.fetchone()
        removed = int(row[0]) if row else 0
    await cur.execute(
        "SELECT pg_notify(%s, %s)", (NOTIFY_CHANNEL, orjson.dumps([tenant, entity_id]).decode())
    )
    return removed

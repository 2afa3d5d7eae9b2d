"""Entity rows in PostgreSQL: load (optionally locked), save in bulk, query.

Writes are set-based (``unnest`` of parallel arrays): a readings batch touching a thousand
entities costs one UPDATE, not a thousand round trips.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import orjson
from psycopg import AsyncCursor

from cityioc.hub.models import StoredEntity
from cityioc.store.geo_index import location_bbox
from cityioc.store.port import EntityQuery
from cityioc.store.postgres.staging import PgArray, pg_list

Cursor = AsyncCursor[tuple[Any, ...]]
Loaded = dict[str, tuple[int, StoredEntity]]

_COLUMNS = "e.rid, e.id, e.types, e.doc, e.created_at, e.modified_at, e.created_by, e.modified_by"
# Parallel arrays, one element per entity, sent in binary (%b): psycopg's text format escapes
# every element with Python regexes, ~40x slower for JSON documents. Types and documents travel
# as JSON text (text[][] would have to be rectangular) and are parsed by the server.
_ROWS = (
    "unnest(%b::text[], %b::text[], %b::text[], %b::bigint[], %b::bigint[], %b::text[],"
    " %b::text[], %b::float8[], %b::float8[], %b::float8[], %b::float8[])"
    " AS u (id, types, doc, created_at, modified_at, created_by, modified_by,"
    " minx, miny, maxx, maxy)"
)
_TYPES = "ARRAY(SELECT jsonb_array_elements_text(u.types::jsonb))"
_INSERT = (
    "INSERT INTO entities (tenant, id, types, doc, created_at, modified_at, created_by,"
    " modified_by, minx, miny, maxx, maxy)"
    f" SELECT %s, u.id, {_TYPES}, u.doc::jsonb, u.created_at, u.modified_at, u.created_by,"
    f" u.modified_by, u.minx, u.miny, u.maxx, u.maxy FROM {_ROWS} ORDER BY u.id"
    " ON CONFLICT (tenant, id) DO NOTHING RETURNING id"
)
# Unchanged types and box are rewritten with equal values, which keeps the update HOT.
_UPDATE = (
    f"UPDATE entities AS e SET types = {_TYPES}, doc = u.doc::jsonb, modified_at = u.modified_at,"
    " modified_by = u.modified_by, minx = u.minx, miny = u.miny, maxx = u.maxx, maxy = u.maxy"
    f" FROM {_ROWS} WHERE e.tenant = %s AND e.id = u.id"
)


def _row_to_entity(row: tuple[Any, ...]) -> tuple[int, StoredEntity]:
    rid, eid, types, doc, created_at, modified_at, created_by, modified_by = row
    return rid, StoredEntity(eid, types, doc, created_at, modified_at, created_by, modified_by)


async def load(cur: Cursor, tenant: str, ids: Collection[str], *, lock: bool = False) -> Loaded:
    """The named entities; with ``lock``, row-locked in id order so lockers queue, not deadlock."""
    if not ids:
        return {}
    sql = f"SELECT {_COLUMNS} FROM entities AS e WHERE e.tenant = %s AND e.id = ANY(%b::text[])"
    if lock:
        sql += " ORDER BY e.id FOR UPDATE"
    await cur.execute(sql, (tenant, pg_list("text", list(ids))))
    found: Loaded = {}
    for row in await cur.fetchall():
        rid, entity = _row_to_entity(row)
        found[entity.id] = (rid, entity)
    return found


def _arrays(entities: Sequence[StoredEntity]) -> list[PgArray]:
    boxes = [location_bbox(e) for e in entities]
    return [
        pg_list("text", [e.id for e in entities]),
        pg_list("text", [orjson.dumps(e.types).decode() for e in entities]),
        pg_list("text", [orjson.dumps(e.doc).decode() for e in entities]),
        pg_list("int8", [e.created_at for e in entities]),
        pg_list("int8", [e.modified_at for e in entities]),
        pg_list("text", [e.created_by for e in entities]),
        pg_list("text", [e.modified_by for e in entities]),
        *(pg_list("float8", [b[i] if b else None for b in boxes]) for i in range(4)),
    ]


async def save_all(
    cur: Cursor, tenant: str, upserts: Sequence[StoredEntity], loaded: Loaded
) -> set[str]:
    """Insert the new entities and update the loaded ones.

    Returns the ids believed new that turned out to exist (another transaction created them
    meanwhile): the caller must roll back and retry with them loaded.
    """
    latest = {e.id: e for e in upserts}  # an entity upserted twice: the last state wins
    old = [e for e in latest.values() if e.id in loaded]
    new = [e for e in latest.values() if e.id not in loaded]
    if old:
        await cur.execute(_UPDATE, (*_arrays(old), tenant))
    if not new:
        return set()
    await cur.execute(_INSERT, (tenant, *_arrays(new)))
    created = {r[0] for r in await cur.fetchall()}
    return {e.id for e in new} - created


async def delete_all(cur: Cursor, rids: Sequence[int]) -> None:
    if rids:
        await cur.execute("DELETE FROM entities WHERE rid = ANY(%b::bigint[])", (list(rids),))


def _where(tenant: str, query: EntityQuery) -> tuple[str, list[Any]]:
    clauses = ["e.tenant = %s"]
    params: list[Any] = [tenant]
    if query.types:
        clauses.append("e.types && %s::text[]")
        params.append(list(query.types))
    if query.ids:
        clauses.append("e.id = ANY(%b::text[])")
        params.append(list(query.ids))
    if query.id_pattern is not None:
        clauses.append("e.id ~ %s")
        params.append(query.id_pattern)
    if query.bbox is not None:
        # Spelled like the index expression, with its predicate, so the GiST index applies.
        clauses.append(
            "e.minx IS NOT NULL AND box(point(e.minx, e.miny), point(e.maxx, e.maxy))"
            " && box(point(%s, %s), point(%s, %s))"
        )
        params += list(query.bbox)
    if query.attrs_any:
        clauses.append("e.doc ?| %s::text[]")
        params.append(list(query.attrs_any))
    if query.where is not None:
        clauses.append(f"({query.where.sql})")
        params += list(query.where.params)
    return " AND ".join(clauses), params


async def query(cur: Cursor, tenant: str, q: EntityQuery) -> tuple[list[StoredEntity], int | None]:
    where, params = _where(tenant, q)
    sql = f"SELECT {_COLUMNS} FROM entities AS e WHERE {where} ORDER BY e.rid"
    page_params = list(params)
    if q.limit is not None:
        sql += " LIMIT %s"
        page_params.append(q.limit)
    if q.offset:
        sql += " OFFSET %s"
        page_params.append(q.offset)
    await cur.execute(sql, page_params)
    found = [_row_to_entity(row)[1] for row in await cur.fetchall()]
    total = None
    if q.count:
        await cur.execute(f"SELECT count(*) FROM entities AS e WHERE {where}", params)
        row = await cur.fetchone()
        total = int(row[0]) if row else 0
    return found, total


async def entity_types(cur: Cursor, tenant: str) -> dict[str, list[str]]:
    await cur.execute(
        "SELECT DISTINCT t.type, k.key FROM entities AS e CROSS JOIN LATERAL unnest(e.types)"
        " AS t (type) LEFT JOIN LATERAL jsonb_object_keys(e.doc) AS k (key) ON true"
        " WHERE e.tenant = %s",
        (tenant,),
    )
    out: dict[str, set[str]] = {}
    for etype, attr in await cur.fetchall():
        attrs = out.setdefault(etype, set())
        if attr is not None:
            attrs.add(attr)
    # Sorted in Python, not by the database collation, to match the SQLite adapter.
    return {k: sorted(v) for k, v in sorted(out.items())}


async def type_counts(cur: Cursor, tenant: str) -> dict[str, int]:
    await cur.execute(
        "SELECT t.type, count(DISTINCT e.rid) FROM entities AS e CROSS JOIN LATERAL"
        " unnest(e.types) AS t (type) WHERE e.tenant = %s GROUP BY t.type",
        (tenant,),
    )
    return {t: int(n) for t, n in await cur.fetchall()}

"""Entity rows in SQLite: load, save, query; plain functions over a connection."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from typing import Any

import orjson

from cityioc.hub.models import StoredEntity
from cityioc.store.geo_index import location_bbox
from cityioc.store.names import LOCATION
from cityioc.store.port import EntityQuery

CHUNK = 500
# Every update in one statement (the GIL is let go once, not per row: one_statement.py); the
# documents travel as JSON inside the JSON array and are stored as SQLite renders them.
_UPDATE_ALL = (
    "UPDATE entities SET types = u.value -> 0, doc = u.value -> 1, modified_at = u.value ->> 2,"
    " modified_by = u.value ->> 3 FROM json_each(?) AS u WHERE entities.rid = u.value ->> 4"
)
# The rows as one JSON array, fetched in one step (see _UPDATE_ALL) and parsed in one call
_AS_ONE_JSON = (
    "json_group_array(json_array(e.rid, e.id, json(e.types), json(e.doc), e.created_at,"
    " e.modified_at, e.created_by, e.modified_by))"
)
_COLUMNS = "e.rid, e.id, e.types, e.doc, e.created_at, e.modified_at, e.created_by, e.modified_by"


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _row_to_entity(row: tuple[Any, ...]) -> tuple[int, StoredEntity]:
    rid, eid, types, doc, created_at, modified_at, created_by, modified_by = row
    return rid, StoredEntity(
        id=eid,
        types=orjson.loads(types),
        doc=orjson.loads(doc),
        created_at=created_at,
        modified_at=modified_at,
        created_by=created_by,
        modified_by=modified_by,
    )


def load(
    conn: sqlite3.Connection, tenant: str, ids: Collection[str]
) -> dict[str, tuple[int, StoredEntity]]:
    found: dict[str, tuple[int, StoredEntity]] = {}
    for part in chunks(list(ids)):
        marks = ",".join("?" * len(part))
        sql = f"SELECT {_AS_ONE_JSON} FROM entities e WHERE e.tenant = ? AND e.id IN ({marks})"
        for rid, eid, types, doc, *rest in orjson.loads(
            conn.execute(sql, (tenant, *part)).fetchone()[0]
        ):
            found[eid] = (rid, StoredEntity(eid, types, doc, *rest))
    return found


def save_all(
    conn: sqlite3.Connection,
    tenant: str,
    upserts: Sequence[StoredEntity],
    loaded: dict[str, tuple[int, StoredEntity]],
) -> None:
    """Insert new entities, update existing ones (one executemany), keep type and geo indexes."""
    updates = []
    for entity in upserts:
        previous = loaded.get(entity.id)
        if previous is None:
            rid = _insert(conn, tenant, entity)
            _index(conn, tenant, rid, entity, None)
            continue
        rid, old = previous
        updates.append((entity.types, entity.doc, entity.modified_at, entity.modified_by, rid))
        _index(conn, tenant, rid, entity, old)
    if updates:
        conn.execute(_UPDATE_ALL, (orjson.dumps(updates),))


def _insert(conn: sqlite3.Connection, tenant: str, entity: StoredEntity) -> int:
    cur = conn.execute(
        "INSERT INTO entities (tenant, id, types, doc, created_at, modified_at, created_by,"
        " modified_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            tenant,
            entity.id,
            orjson.dumps(entity.types).decode(),
            orjson.dumps(entity.doc).decode(),
            entity.created_at,
            entity.modified_at,
            entity.created_by,
            entity.modified_by,
        ),
    )
    return int(cur.lastrowid or 0)


def _index(
    conn: sqlite3.Connection, tenant: str, rid: int, entity: StoredEntity, old: StoredEntity | None
) -> None:
    """Keep ``entity_types`` and ``entity_geo`` in step, touching them only on change."""
    if old is None or entity.types != old.types:
        if old is not None:  # by primary key: (tenant, type, rid), never a scan by rid
            _drop_types(conn, tenant, rid, old.types)
        conn.executemany(
            "INSERT OR IGNORE INTO entity_types (tenant, type, rid) VALUES (?, ?, ?)",
            [(tenant, t, rid) for t in entity.types],
        )
    if old is not None and entity.doc.get(LOCATION) == old.doc.get(LOCATION):
        return
    box = location_bbox(entity)
    if old is not None and box == location_bbox(old):
        return
    conn.execute("DELETE FROM entity_geo WHERE rid = ?", (rid,))
    if box is not None:
        conn.execute(
            "INSERT INTO entity_geo (rid, minx, maxx, miny, maxy) VALUES (?, ?, ?, ?, ?)",
            (rid, box[0], box[2], box[1], box[3]),
        )


def delete(conn: sqlite3.Connection, tenant: str, rid: int, entity: StoredEntity) -> None:
    conn.execute("DELETE FROM entities WHERE rid = ?", (rid,))
    _drop_types(conn, tenant, rid, entity.types)
    conn.execute("DELETE FROM entity_geo WHERE rid = ?", (rid,))


def _drop_types(conn: sqlite3.Connection, tenant: str, rid: int, types: Sequence[str]) -> None:
    conn.executemany(
        "DELETE FROM entity_types WHERE tenant = ? AND type = ? AND rid = ?",
        [(tenant, t, rid) for t in types],
    )


def _where(tenant: str, query: EntityQuery) -> tuple[str, list[Any]]:
    clauses = ["e.tenant = ?"]
    params: list[Any] = [tenant]
    if query.types:
        marks = ",".join("?" * len(query.types))
        if query.bbox is None:  # the type index drives
            clauses.append(
                f"e.rid IN (SELECT rid FROM entity_types WHERE tenant = ? AND type IN ({marks}))"
            )
        else:  # the R*Tree drives: probe the type per candidate, don't list every rid of it
            clauses.append(
                "EXISTS (SELECT 1 FROM entity_types t WHERE t.tenant = ?"
                f" AND t.type IN ({marks}) AND t.rid = e.rid)"
            )
        params += [tenant, *query.types]
    if query.ids:
        clauses.append(f"e.id IN ({','.join('?' * len(query.ids))})")
        params += list(query.ids)
    if query.id_pattern is not None:
        clauses.append("regexp(?, e.id)")
        params.append(query.id_pattern)
    if query.bbox is not None:
        minx, miny, maxx, maxy = query.bbox
        clauses.append("g.minx <= ? AND g.maxx >= ? AND g.miny <= ? AND g.maxy >= ?")
        params += [maxx, minx, maxy, miny]
    if query.attrs_any:
        ors = " OR ".join("json_type(e.doc, ?) IS NOT NULL" for _ in query.attrs_any)
        clauses.append(f"({ors})")
        params += [json_path(a) for a in query.attrs_any]
    if query.where is not None:
        clauses.append(f"({query.where.sql})")
        params += list(query.where.params)
    return " AND ".join(clauses), params


def json_path(name: str) -> str:
    return '$."' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def query(
    conn: sqlite3.Connection, tenant: str, q: EntityQuery
) -> tuple[list[StoredEntity], int | None]:
    where, params = _where(tenant, q)
    # With a bounding box, the R*Tree drives (CROSS JOIN fixes the order in SQLite): it narrows
    # 100,000 entities to a few hundred before any JSON is looked at.
    source = "entity_geo g CROSS JOIN entities e ON e.rid = g.rid" if q.bbox else "entities e"
    sql = f"SELECT {_COLUMNS} FROM {source} WHERE {where} ORDER BY e.rid"
    page_params = list(params)
    if q.limit is not None:
        sql += " LIMIT ? OFFSET ?"
        page_params += [q.limit, q.offset]
    elif q.offset:
        sql += " LIMIT -1 OFFSET ?"
        page_params.append(q.offset)
    entities = [_row_to_entity(row)[1] for row in conn.execute(sql, page_params)]
    total = None
    if q.count:
        total = int(
            conn.execute(f"SELECT count(*) FROM {source} WHERE {where}", params).fetchone()[0]
        )
    return entities, total


def regexp(pattern: str, value: str | None) -> bool:
    if value is None:
        return False
    return _compiled(pattern).search(value) is not None


_REGEX_CACHE: dict[str, re.Pattern[str]] = {}


def _compiled(pattern: str) -> re.Pattern[str]:
    found = _REGEX_CACHE.get(pattern)
    if found is None:
        if len(_REGEX_CACHE) > 256:
            _REGEX_CACHE.clear()
        found = _REGEX_CACHE[pattern] = re.compile(pattern)
    return found

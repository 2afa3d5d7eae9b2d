"""Module state in SQLite: JSON text, written through the single writer."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping
from typing import Any

import orjson

from cityioc.store.module_state import StateItem, lease_value
from cityioc.store.sqlite.engine import SqliteEngine
from cityioc.store.sqlite.entities import chunks

# Taken only when free, expired or the asker's own; RETURNING says whether it was.
_LEASE = (
    "INSERT INTO module_state (module, tenant, key, value, updated_at) VALUES (?, '', ?, ?, ?)"
    " ON CONFLICT (module, tenant, key) DO UPDATE SET value = excluded.value,"
    " updated_at = excluded.updated_at"
    " WHERE module_state.value ->> '$.until' <= ? OR module_state.value ->> '$.owner' = ?"
    " RETURNING key"
)
_UPSERT = (
    "INSERT INTO module_state (module, tenant, key, value, updated_at) VALUES (?, ?, ?, ?, ?)"
    " ON CONFLICT (module, tenant, key) DO UPDATE SET value = excluded.value,"
    " updated_at = excluded.updated_at"
)


def _get(conn: sqlite3.Connection, module: str, tenant: str, keys: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for part in chunks(keys):
        marks = ",".join("?" * len(part))
        rows = conn.execute(
            f"SELECT key, value FROM module_state WHERE module = ? AND tenant = ?"
            f" AND key IN ({marks})",
            [module, tenant, *part],
        )
        out.update((key, orjson.loads(value)) for key, value in rows)
    return out


def _delete(conn: sqlite3.Connection, module: str, tenant: str, keys: list[str]) -> int:
    deleted = 0
    for part in chunks(keys):
        marks = ",".join("?" * len(part))
        deleted += conn.execute(
            f"DELETE FROM module_state WHERE module = ? AND tenant = ? AND key IN ({marks})",
            [module, tenant, *part],
        ).rowcount
    return deleted


def _list(
    conn: sqlite3.Connection, module: str, tenant: str | None, prefix: str
) -> list[StateItem]:
    sql = "SELECT tenant, key, value, updated_at FROM module_state WHERE module = ?"
    params: list[Any] = [module]
    if tenant is not None:
        sql += " AND tenant = ?"
        params.append(tenant)
    if prefix:
        # A range instead of LIKE: keys may hold % and _, and the range uses the primary key.
        sql += " AND key >= ? AND key < ?"
        params += [prefix, prefix + "\U0010ffff"]
    rows = conn.execute(sql + " ORDER BY tenant, key", params)
    return [StateItem(t, k, orjson.loads(v), int(at)) for t, k, v, at in rows]


class SqliteModuleState:
    """``Store.module_state`` of the SQLite adapter."""

    def __init__(self, engine: SqliteEngine) -> None:
        self.engine = engine

    async def state_get_many(
        self, module: str, tenant: str, keys: Collection[str]
    ) -> dict[str, Any]:
        wanted = list(keys)
        return await self.engine.read(lambda c: _get(c, module, tenant, wanted)) if wanted else {}

    async def state_put_many(
        self, module: str, tenant: str, items: Mapping[str, Any], at: int
    ) -> None:
        rows = [(module, tenant, k, orjson.dumps(v).decode(), at) for k, v in items.items()]
        if rows:
            await self.engine.write(lambda c: c.executemany(_UPSERT, rows))

    async def state_delete(self, module: str, tenant: str, keys: Collection[str]) -> int:
        wanted = list(keys)
        return (
            await self.engine.write(lambda c: _delete(c, module, tenant, wanted)) if wanted else 0
        )

    async def state_list(
        self, module: str, tenant: str | None = None, prefix: str = ""
    ) -> list[StateItem]:
        return await self.engine.read(lambda c: _list(c, module, tenant, prefix))

    async def state_lease(self, module: str, key: str, owner: str, now: int, until: int) -> bool:
        value = orjson.dumps(lease_value(owner, until)).decode()
        params = (module, key, value, now, now, owner)
        row = await self.engine.write(lambda c: c.execute(_LEASE, params).fetchone(), urgent=True)
        return row is not None

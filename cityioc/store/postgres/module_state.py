"""Module state in PostgreSQL: ``jsonb`` values, each call one transaction."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from cityioc.store.module_state import StateItem, lease_value

Pool = AsyncConnectionPool[AsyncConnection[tuple[Any, ...]]]
# Taken only when free, expired or the asker's own; RETURNING says whether it was.
_LEASE = (
    "INSERT INTO module_state (module, tenant, key, value, updated_at)"
    " VALUES (%s, '', %s, %s, %s) ON CONFLICT (module, tenant, key) DO UPDATE"
    " SET value = excluded.value, updated_at = excluded.updated_at"
    " WHERE (module_state.value ->> 'until')::bigint <= %s"
    " OR module_state.value ->> 'owner' = %s RETURNING key"
)
_UPSERT = (
    "INSERT INTO module_state (module, tenant, key, value, updated_at)"
    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (module, tenant, key) DO UPDATE"
    " SET value = excluded.value, updated_at = excluded.updated_at"
)


class PostgresModuleState:
    """``Store.module_state`` of the PostgreSQL adapter."""

    def __init__(self, pool: Callable[[], Pool]) -> None:
        self._pool = pool  # the store opens its pool later than it builds this object

    async def state_get_many(
        self, module: str, tenant: str, keys: Collection[str]
    ) -> dict[str, Any]:
        if not keys:
            return {}
        async with self._pool().connection() as conn:
            cur = await conn.execute(
                "SELECT key, value FROM module_state WHERE module = %s AND tenant = %s"
                " AND key = ANY(%s)",
                (module, tenant, list(keys)),
            )
            return {key: value for key, value in await cur.fetchall()}

    async def state_put_many(
        self, module: str, tenant: str, items: Mapping[str, Any], at: int
    ) -> None:
        if not items:
            return
        rows = [(module, tenant, k, Jsonb(v), at) for k, v in sorted(items.items())]
        async with self._pool().connection() as conn, conn.transaction():
            await conn.cursor().executemany(_UPSERT, rows)

    async def state_delete(self, module: str, tenant: str, keys: Collection[str]) -> int:
        if not keys:
            return 0
        async with self._pool().connection() as conn:
            cur = await conn.execute(
                "DELETE FROM module_state WHERE module = %s AND tenant = %s AND key = ANY(%s)",
                (module, tenant, list(keys)),
            )
            return cur.rowcount

    async def state_list(
        self, module: str, tenant: str | None = None, prefix: str = ""
    ) -> list[StateItem]:
        sql = "SELECT tenant, key, value, updated_at FROM module_state WHERE module = %s"
        params: list[Any] = [module]
        if tenant is not None:
            sql += " AND tenant = %s"
            params.append(tenant)
        if prefix:
            sql += " AND starts_with(key, %s)"
            params.append(prefix)
        async with self._pool().connection() as conn:
            cur = await conn.execute(sql + " ORDER BY tenant, key", params)
            return [StateItem(t, k, v, int(at)) for t, k, v, at in await cur.fetchall()]

    async def state_lease(self, module: str, key: str, owner: str, now: int, until: int) -> bool:
        params = (module, key, Jsonb(lease_value(owner, until)), now, now, owner)
        async with self._pool().connection() as conn:
            cur = await conn.execute(_LEASE, params)
            return await cur.fetchone() is not None

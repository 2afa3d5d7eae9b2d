"""Subscriptions and the notification outbox on PostgreSQL.

Several server processes may share the database: ``claim_due`` leases each subscription to one of
them (``FOR UPDATE SKIP LOCKED``), so one process at a time delivers a subscription's notifications,
in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from psycopg import AsyncConnection, AsyncCursor
from psycopg.errors import UniqueViolation
from psycopg_pool import AsyncConnectionPool

from cityioc.core.errors import AlreadyExists
from cityioc.hub.models import OutboxItem
from cityioc.store import subscriptions_sql as sql
from cityioc.store.port import OutboxRow, SubscriptionRecord

Pool = AsyncConnectionPool[AsyncConnection[Any]]


def _pg(statement: str) -> str:
    return statement.replace("?", "%s")


ENQUEUE = _pg(sql.ENQUEUE)
DUE = _pg(sql.DUE) + " FOR UPDATE SKIP LOCKED"


async def write_outbox(cur: AsyncCursor[Any], tenant: str, items: Sequence[OutboxItem]) -> None:
    """Called inside a mutation's transaction."""
    if items:
        await cur.executemany(
            ENQUEUE,
            [
                (tenant, i.subscription_id, i.entity_id, i.trigger, i.snapshot, i.created_at)
                for i in items
            ],
        )


class PostgresSubscriptions:
    def __init__(self, pool: Callable[[], Pool]) -> None:
        self._pool = pool

    async def _run(self, statement: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        async with self._pool().connection() as conn:
            cur = await conn.execute(_pg(statement), params)
            return await cur.fetchall() if cur.description else []

    async def insert(self, tenant: str, sid: str, definition: bytes) -> None:
        try:
            await self._run(sql.INSERT, (tenant, sid, definition.decode()))
        except UniqueViolation as err:
            raise AlreadyExists(f"subscription {sid} already exists") from err

    async def update(self, tenant: str, sid: str, definition: bytes) -> bool:
        async with self._pool().connection() as conn:
            cur = await conn.execute(_pg(sql.UPDATE), (definition.decode(), tenant, sid))
            return cur.rowcount > 0

    async def delete(self, tenant: str, sid: str) -> bool:
        async with self._pool().connection() as conn, conn.transaction():
            await conn.execute(_pg(sql.DELETE_OUTBOX), (tenant, sid))
            cur = await conn.execute(_pg(sql.DELETE), (tenant, sid))
            return cur.rowcount > 0

    async def load(
        self, tenant: str | None = None, sid: str | None = None
    ) -> list[SubscriptionRecord]:
        query, params = sql.select(tenant, sid)
        return [sql.record(row) for row in await self._run(query, params)]

    async def enqueue(self, tenant: str, items: Sequence[OutboxItem]) -> None:
        async with self._pool().connection() as conn, conn.transaction():
            await write_outbox(conn.cursor(), tenant, items)

    async def claim_due(
        self, now: int, owner: str, lease_ms: int, limit: int
    ) -> list[tuple[str, str]]:
        async with self._pool().connection() as conn, conn.transaction():
            cur = await conn.execute(DUE, (now, now, owner, limit))
            due = [(str(t), str(s)) for t, s in await cur.fetchall()]
            if due:
                await conn.cursor().executemany(
                    _pg(sql.LEASE), [(owner, now + lease_ms, t, s) for t, s in due]
                )
            return due

    async def pending(self, tenant: str, sid: str, after: int, limit: int) -> list[OutboxRow]:
        rows = await self._run(sql.PENDING, (tenant, sid, after, limit))
        return [OutboxRow(seq, eid, trig, bytes(snap), at) for seq, eid, trig, snap, at in rows]

    async def delivered(
        self, tenant: str, sid: str, last_seq: int, at: int, lease_until: int
    ) -> None:
        async with self._pool().connection() as conn, conn.transaction():
            await conn.execute(_pg(sql.DROP_DELIVERED), (tenant, sid, last_seq))
            await conn.execute(_pg(sql.SUCCEEDED), (at, at, lease_until, tenant, sid))

    async def failed(self, tenant: str, sid: str, at: int, retry_at: int, error: str) -> None:
        await self._run(sql.FAILED, (at, at, error, retry_at, tenant, sid))

    async def release(self, tenant: str, sid: str, owner: str) -> None:
        await self._run(sql.RELEASE, (tenant, sid, owner))

    async def backlog(self) -> int:
        rows = await self._run(sql.BACKLOG, ())
        return int(rows[0][0])

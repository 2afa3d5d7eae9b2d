"""Subscriptions and the notification outbox on SQLite (writes through the one writer thread)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from cityioc.core.errors import AlreadyExists
from cityioc.hub.models import OutboxItem
from cityioc.store import subscriptions_sql as sql
from cityioc.store.port import OutboxRow, SubscriptionRecord
from cityioc.store.sqlite.engine import SqliteEngine


def write_outbox(conn: sqlite3.Connection, tenant: str, items: Sequence[OutboxItem]) -> None:
    """Called inside a mutation's transaction."""
    if items:
        conn.executemany(
            sql.ENQUEUE,
            [
                (tenant, i.subscription_id, i.entity_id, i.trigger, i.snapshot, i.created_at)
                for i in items
            ],
        )


class SqliteSubscriptions:
    def __init__(self, engine: SqliteEngine) -> None:
        self.engine = engine

    async def insert(self, tenant: str, sid: str, definition: bytes) -> None:
        def job(c: sqlite3.Connection) -> None:
            if c.execute(sql.EXISTS, (tenant, sid)).fetchone():
                raise AlreadyExists(f"subscription {sid} already exists")
            c.execute(sql.INSERT, (tenant, sid, definition.decode()))

        await self.engine.write(job)

    async def update(self, tenant: str, sid: str, definition: bytes) -> bool:
        return await self.engine.write(
            lambda c: c.execute(sql.UPDATE, (definition.decode(), tenant, sid)).rowcount > 0
        )

    async def delete(self, tenant: str, sid: str) -> bool:
        def job(c: sqlite3.Connection) -> bool:
            c.execute(sql.DELETE_OUTBOX, (tenant, sid))
            return c.execute(sql.DELETE, (tenant, sid)).rowcount > 0

        return await self.engine.write(job)

    async def load(
        self, tenant: str | None = None, sid: str | None = None
    ) -> list[SubscriptionRecord]:
        query, params = sql.select(tenant, sid)
        rows = await self.engine.read(lambda c: c.execute(query, params).fetchall())
        return [sql.record(tuple(r)) for r in rows]

    async def enqueue(self, tenant: str, items: Sequence[OutboxItem]) -> None:
        await self.engine.write(lambda c: write_outbox(c, tenant, items))

    async def claim_due(
        self, now: int, owner: str, lease_ms: int, limit: int
    ) -> list[tuple[str, str]]:
        def job(c: sqlite3.Connection) -> list[tuple[str, str]]:
            due = [(t, s) for t, s in c.execute(sql.DUE, (now, now, owner, limit))]
            c.executemany(sql.LEASE, [(owner, now + lease_ms, t, s) for t, s in due])
            return due

        return await self.engine.write(job)

    async def pending(self, tenant: str, sid: str, after: int, limit: int) -> list[OutboxRow]:
        rows = await self.engine.read(
            lambda c: c.execute(sql.PENDING, (tenant, sid, after, limit)).fetchall()
        )
        return [OutboxRow(*r) for r in rows]

    async def delivered(
        self, tenant: str, sid: str, last_seq: int, at: int, lease_until: int
    ) -> None:
        def job(c: sqlite3.Connection) -> None:
            c.execute(sql.DROP_DELIVERED, (tenant, sid, last_seq))
            c.execute(sql.SUCCEEDED, (at, at, lease_until, tenant, sid))

        await self.engine.write(job)

    async def failed(self, tenant: str, sid: str, at: int, retry_at: int, error: str) -> None:
        await self.engine.write(
            lambda c: c.execute(sql.FAILED, (at, at, error, retry_at, tenant, sid))
        )

    async def release(self, tenant: str, sid: str, owner: str) -> None:
        await self.engine.write(lambda c: c.execute(sql.RELEASE, (tenant, sid, owner)))

    async def backlog(self) -> int:
        row = await self.engine.read(lambda c: c.execute(sql.BACKLOG).fetchone())
        return int(row[0])

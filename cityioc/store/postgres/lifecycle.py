"""Connection setup, migrations and the series-cache listener of the PostgreSQL adapter."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

import orjson
import psycopg
from psycopg import AsyncConnection
from psycopg.types.json import set_json_dumps, set_json_loads
from psycopg_pool import AsyncConnectionPool

from cityioc.core.clock import Clock
from cityioc.store.migrations import migrations_for
from cityioc.store.postgres import series, staging

log = logging.getLogger(__name__)

Conn = AsyncConnection[tuple[Any, ...]]
MIGRATION_LOCK: Final = 0x63697479696F63  # "cityioc": one migrator at a time, per database


async def configure(conn: Conn) -> None:
    """Run once per new pooled connection."""
    set_json_dumps(orjson.dumps, conn)
    set_json_loads(orjson.loads, conn)
    conn.adapters.register_dumper(staging.PgArray, staging.PgArrayDumper)
    await conn.execute(staging.DDL)


async def migrate(pool: AsyncConnectionPool[Conn], clock: Clock) -> list[int]:
    """Apply the migrations not yet recorded, in one transaction, under an advisory lock so two
    processes starting together neither race on DDL nor apply a migration twice."""
    applied = []
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
        )
        cur = await conn.execute("SELECT version FROM schema_version")
        done = {r[0] for r in await cur.fetchall()}
        for migration in migrations_for("postgres"):
            if migration.version in done:
                continue
            await conn.execute(migration.sql)  # no parameters: several statements allowed
            await conn.execute(
                "INSERT INTO schema_version VALUES (%s, %s, %s)",
                (migration.version, migration.name, clock.now_ms()),
            )
            applied.append(migration.version)
    return applied


async def forget_deleted_series(url: str, cache: series.SeriesCache, ready: asyncio.Event) -> None:
    """Keep the series cache true when any process deletes series (LISTEN/NOTIFY).

    Runs until cancelled; sets ``ready`` once listening (or once it failed to, so that opening
    the store does not hang on it).
    """
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
                await conn.execute(f"LISTEN {series.NOTIFY_CHANNEL}")
                cache.clear()  # deletions while we were not listening are unknown
                ready.set()
                async for note in conn.notifies():
                    tenant, entity_id = orjson.loads(note.payload)
                    cache.forget(tenant, entity_id)
        except Exception as err:  # keep listening whatever happened; the cache starts over
            log.warning("series cache listener failed, reconnecting: %s", err)
            cache.clear()
            ready.set()
            await asyncio.sleep(1.0)

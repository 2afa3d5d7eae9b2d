"""The PostgreSQL adapter of the storage port: for several processes sharing one database.

Each ``mutate`` is one transaction on a pooled connection: the named entities are locked
(``SELECT … FOR UPDATE``), ``decide`` runs, its mutation is written and the call returns after
COMMIT. Two writers creating the same new entity cannot both win: inserts use ``ON CONFLICT DO
NOTHING`` and the loser rolls back and runs again, so its ``decide`` sees the winner's row.
A write naming a few entities is pipelined (``_Pipeline``): what matters for a single PATCH is
the number of statements and round trips, not their size.

Samples go to a hot table and a background task of every open store compacts them into blocks
(``compaction``, ``compaction_task``); readers see the union in one snapshot (``reads``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection
from types import TracebackType
from typing import Any, Final

import psycopg
from psycopg.errors import (
    CharacterNotInRepertoire,
    DeadlockDetected,
    InvalidRegularExpression,
    SerializationFailure,
    UntranslatableCharacter,
)
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from cityioc.core.clock import Clock, SystemClock
from cityioc.core.errors import BadRequestData, Conflict
from cityioc.hub.models import Mutation, StoredEntity
from cityioc.store.port import (
    ApiKeyRecord,
    AuditRecord,
    Decide,
    EntityQuery,
    RollupData,
    SeriesData,
    SeriesKey,
    StoreStats,
)
from cityioc.store.postgres import entities, lifecycle, reads, retention, series
from cityioc.store.postgres.accounts import PostgresAccounts
from cityioc.store.postgres.compaction_task import COMPACT_EVERY_S, CompactionTask
from cityioc.store.postgres.dead_letters import PostgresDeadLetters
from cityioc.store.postgres.lifecycle import Conn
from cityioc.store.postgres.module_state import PostgresModuleState
from cityioc.store.postgres.subscriptions import PostgresSubscriptions, write_outbox

log = logging.getLogger(__name__)

ESTIMATE_SAMPLES_ABOVE: Final = 1_000_000  # counting a big hot table takes seconds
PIPELINE_ENTITIES: Final = 16  # writes naming up to this many entities are pipelined


class _CreatedMeanwhileError(Exception):
    """Rolls the transaction back: entities believed new were created meanwhile."""

    def __init__(self, ids: set[str]) -> None:
        super().__init__(f"{len(ids)} entities created concurrently")
        self.ids = ids


class _Pipeline:
    """Pipeline mode for a write naming a few entities (a single PATCH…): BEGIN travels with the
    SELECT … FOR UPDATE, the writes with the statement whose answer is awaited, COMMIT with the
    final sync — three round trips instead of about nine. It can be left mid-transaction, for a
    big batch of samples that must go by COPY. ``_Pipeline(None)``: no pipeline at all."""

    def __init__(self, conn: Conn | None) -> None:
        self._mode = conn.pipeline() if conn is not None else None

    async def __aenter__(self) -> _Pipeline:
        if self._mode is not None:
            await self._mode.__aenter__()
        return self

    async def leave(self) -> None:
        """Send what is queued, wait for the answers and go on without pipelining."""
        mode, self._mode = self._mode, None
        if mode is not None:
            await mode.__aexit__(None, None, None)

    async def __aexit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        mode, self._mode = self._mode, None
        if mode is not None:
            await mode.__aexit__(kind, err, tb)


class PostgresStore:
    backend = "postgres"

    def __init__(
        self,
        url: str,
        *,
        clock: Clock | None = None,
        min_size: int = 1,
        max_size: int = 8,
        timeout: float = 30.0,
        retries: int = 5,
        listen: bool = True,
        compact_every_s: float | None = COMPACT_EVERY_S,
    ) -> None:
        """``compact_every_s``: how often the background compaction runs (None: never by
        itself, only through ``compact``)."""
        self.url = url
        self.clock = clock or SystemClock()
        self.retries = retries
        self._pool_args: dict[str, Any] = {
            "min_size": min_size,
            "max_size": max_size,
            "timeout": timeout,
        }
        self._pool: AsyncConnectionPool[Conn] | None = None
        self._series = series.SeriesCache()
        self._commits = 0
        self._listen = listen
        self._listener: asyncio.Task[None] | None = None
        self._compact_every_s = compact_every_s
        self._compactor: CompactionTask | None = None
        self.subscriptions = PostgresSubscriptions(lambda: self.pool)
        self.dead_letters = PostgresDeadLetters(lambda: self.pool)
        self.module_state = PostgresModuleState(lambda: self.pool)
        self.accounts = PostgresAccounts(lambda: self.pool)

    @property
    def pool(self) -> AsyncConnectionPool[Conn]:
        if self._pool is None:
            raise RuntimeError("the store is not open")
        return self._pool

    async def open(self) -> None:
        if self._pool is not None:
            return
        self._pool = AsyncConnectionPool(
            self.url,
            kwargs={"autocommit": True},
            configure=lifecycle.configure,
            open=False,
            name="cityioc",
            **self._pool_args,
        )
        await self._pool.open(wait=True)
        await self.migrate()
        if self._listen:
            ready = asyncio.Event()
            self._listener = asyncio.create_task(
                lifecycle.forget_deleted_series(self.url, self._series, ready)
            )
            await ready.wait()
        self._compactor = CompactionTask(self._pool, self._compact_every_s or COMPACT_EVERY_S)
        if self._compact_every_s is not None:
            self._compactor.start()

    async def close(self) -> None:
        if self._compactor is not None:
            await self._compactor.stop()
            self._compactor = None
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def migrate(self) -> list[int]:
        return await lifecycle.migrate(self.pool, self.clock)

    async def ping(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute("SELECT 1")

    async def mutate(
        self,
        tenant: str,
        ids: Collection[str],
        decide: Decide,
        actor: str,
        audit: Collection[AuditRecord] = (),
    ) -> Mutation:
        wanted = set(ids)
        for _ in range(self.retries):
            try:
                async with self.pool.connection() as conn:
                    if len(wanted) <= PIPELINE_ENTITIES:
                        mutation, found = await self._write_pipelined(
                            conn, tenant, wanted, decide, audit
                        )
                    else:
                        async with conn.transaction():
                            mutation, found = await self._write(
                                conn, tenant, wanted, decide, audit, _Pipeline(None)
                            )
                    self._commits += 1
                    self._series.remember(tenant, found)
                    if mutation.samples and self._compactor is not None:
                        self._compactor.wrote(len(mutation.samples))
                    return mutation
            except _CreatedMeanwhileError as retry:
                wanted |= retry.ids
            except (DeadlockDetected, SerializationFailure) as err:
                log.info("mutate retried after %s", type(err).__name__)
            except (UntranslatableCharacter, CharacterNotInRepertoire) as err:
                # Text SQLite takes but PostgreSQL refuses: NUL, in strings and JSON alike.
                raise BadRequestData(f"PostgreSQL cannot store this text: {err}") from err
        raise Conflict(f"gave up after {self.retries} attempts: concurrent writes kept conflicting")

    async def _write_pipelined(
        self,
        conn: Conn,
        tenant: str,
        ids: set[str],
        decide: Decide,
        audit: Collection[AuditRecord],
    ) -> tuple[Mutation, dict[series.Key, int]]:
        """``_write`` in one transaction, pipelined. BEGIN and COMMIT are sent by hand: psycopg's
        ``transaction()`` syncs the pipeline after BEGIN, which would cost a round trip."""
        try:
            async with _Pipeline(conn) as pipeline:
                await conn.execute("BEGIN")
                written = await self._write(conn, tenant, ids, decide, audit, pipeline)
                await conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(psycopg.Error):  # a broken connection is the pool's to drop
                await conn.rollback()
            raise
        return written

    async def _write(
        self,
        conn: Conn,
        tenant: str,
        ids: set[str],
        decide: Decide,
        audit: Collection[AuditRecord],
        pipeline: _Pipeline,
    ) -> tuple[Mutation, dict[series.Key, int]]:
        cur = conn.cursor(binary=True)  # results in binary: no text parsing of arrays and numbers
        loaded = await entities.load(cur, tenant, ids, lock=True)
        mutation = decide({eid: pair[1] for eid, pair in loaded.items()})
        if len(mutation.samples) > series.FEW_SAMPLES:
            await pipeline.leave()  # a big batch of samples goes by COPY, which needs it off
        taken = await entities.save_all(cur, tenant, mutation.upserts, loaded)
        if taken:
            raise _CreatedMeanwhileError(taken)
        await entities.delete_all(cur, [loaded[e][0] for e in mutation.deletes if e in loaded])
        found = await series.write_samples(cur, self._series, tenant, mutation.samples)
        await write_outbox(cur, tenant, mutation.outbox)
        if audit:
            await cur.executemany(
                "INSERT INTO audit (at, actor, tenant, action, subject, detail)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                [(r.at, r.actor, r.tenant, r.action, r.subject, _jsonb(r.detail)) for r in audit],
            )
        return mutation, found

    async def get_entities(self, tenant: str, ids: Collection[str]) -> dict[str, StoredEntity]:
        async with self.pool.connection() as conn:
            found = await entities.load(conn.cursor(binary=True), tenant, ids)
        return {eid: pair[1] for eid, pair in found.items()}

    async def query_entities(
        self, tenant: str, query: EntityQuery
    ) -> tuple[list[StoredEntity], int | None]:
        try:
            async with self.pool.connection() as conn:
                if not query.count:
                    return await entities.query(conn.cursor(), tenant, query)
                async with conn.transaction():  # the page and its total from one snapshot
                    await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    return await entities.query(conn.cursor(), tenant, query)
        except InvalidRegularExpression as err:
            # idPattern and q's ~= reach PostgreSQL's own regex engine, stricter than Python's.
            raise BadRequestData(f"invalid regular expression: {err.diag.message_primary}") from err

    async def tenant_exists(self, tenant: str) -> bool:
        rows = await self._rows(
            "SELECT EXISTS (SELECT 1 FROM entities WHERE tenant = %s)"
            " OR EXISTS (SELECT 1 FROM series WHERE tenant = %s)",
            (tenant, tenant),
        )
        return bool(rows[0][0])

    async def entity_types(self, tenant: str) -> dict[str, list[str]]:
        async with self.pool.connection() as conn:
            return await entities.entity_types(conn.cursor(), tenant)

    async def type_counts(self, tenant: str) -> dict[str, int]:
        async with self.pool.connection() as conn:
            return await entities.type_counts(conn.cursor(), tenant)

    async def read_series(
        self,
        tenant: str,
        keys: Collection[SeriesKey],
        start: int | None,
        end: int | None,
        last_n: int | None = None,
    ) -> dict[SeriesKey, SeriesData]:
        async with reads.snapshot(self.pool) as cur:
            return await reads.read(cur, tenant, keys, (start, end), last_n)

    async def series_of(self, tenant: str, entity_id: str) -> list[SeriesKey]:
        async with self.pool.connection() as conn:
            return await series.series_of(conn.cursor(), tenant, entity_id)

    async def series_extent(self, tenant: str, key: SeriesKey) -> tuple[int, int] | None:
        async with self.pool.connection() as conn:
            return await reads.extent(conn.cursor(), tenant, key)

    async def read_rollups(
        self, tenant: str, key: SeriesKey, width: int, start: int | None, end: int | None
    ) -> RollupData:
        async with reads.snapshot(self.pool) as cur:
            return await reads.read_rollups(cur, tenant, key, width, (start, end))

    async def delete_series(self, tenant: str, entity_id: str, attr: str | None) -> int:
        async with self.pool.connection() as conn:
            async with conn.transaction():
                removed = await series.delete(conn.cursor(), tenant, entity_id, attr)
            self._commits += 1
        self._series.forget(tenant, entity_id)  # don't wait for our own notification
        return removed

    async def purge_raw_before(self, cutoff_ms: int) -> int:
        removed = await retention.purge_before(self.pool, cutoff_ms)
        self._commits += 1
        return removed

    async def compact(self) -> int:
        """Move the hot samples into blocks and rollups (it also happens by itself): every row
        hot when it starts, waiting for other processes' compaction steps if need be."""
        if self._compactor is None:
            raise RuntimeError("the store is not open")
        return await self._compactor.round(wait=True)

    async def put_api_key(self, record: ApiKeyRecord) -> None:
        r = record
        await self._change(
            "INSERT INTO api_keys VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (
                r.key_id,
                r.key_hash,
                r.role,
                r.name,
                r.tenant,
                r.created_at,
                r.created_by,
                r.revoked_at,
                r.agency,
            ),
        )

    async def find_api_key(self, key_hash: str) -> ApiKeyRecord | None:
        rows = await self._rows("SELECT * FROM api_keys WHERE key_hash = %s", (key_hash,))
        return ApiKeyRecord(*rows[0]) if rows else None

    async def list_api_keys(self) -> list[ApiKeyRecord]:
        rows = await self._rows("SELECT * FROM api_keys ORDER BY created_at", ())
        return [ApiKeyRecord(*row) for row in rows]

    async def revoke_api_key(self, key_id: str, at: int) -> bool:
        changed = await self._change(
            "UPDATE api_keys SET revoked_at = %s WHERE key_id = %s AND revoked_at IS NULL",
            (at, key_id),
        )
        return changed > 0

    async def audit_trail(self, tenant: str, subject: str, limit: int = 100) -> list[AuditRecord]:
        rows = await self._rows(
            "SELECT at, actor, tenant, action, subject, detail, seq FROM audit"
            " WHERE tenant = %s AND subject = %s ORDER BY seq DESC LIMIT %s",
            (tenant, subject, limit),
        )
        return [AuditRecord(*row) for row in rows]

    async def _rows(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchall()

    async def _change(self, sql: str, params: tuple[Any, ...]) -> int:
        """One statement in its own transaction (autocommit); returns the rows it changed."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(sql, params)
        self._commits += 1
        return cur.rowcount

    def pool_stats(self) -> dict[str, int]:
        if self._pool is None:
            return {"size": 0, "available": 0, "waiting": 0}
        stats = self._pool.get_stats()
        return {
            "size": stats.get("pool_size", 0),
            "available": stats.get("pool_available", 0),
            "waiting": stats.get("requests_waiting", 0),
        }

    def commit_count(self) -> int:
        return self._commits

    async def stats(self) -> StoreStats:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT (SELECT count(*) FROM entities), (SELECT count(*) FROM series),"
                " (SELECT reltuples::bigint FROM pg_class WHERE oid = 'samples'::regclass),"
                " (SELECT coalesce(sum(n), 0) FROM sample_blocks)"
            )
            row = await cur.fetchone()
            assert row is not None
            n_entities, n_series, estimate, compacted = row
            estimated = estimate >= ESTIMATE_SAMPLES_ABOVE
            if not estimated:
                cur = await conn.execute("SELECT count(*) FROM samples")
                counted = await cur.fetchone()
                estimate = counted[0] if counted else 0
        return StoreStats(
            entities=int(n_entities),
            series=int(n_series),
            samples=int(estimate) + int(compacted),
            extra={"commits": float(self._commits), "samples_estimated": float(estimated)},
        )


def _jsonb(value: Any) -> Jsonb | None:
    return Jsonb(value) if value is not None else None

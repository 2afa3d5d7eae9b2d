"""The SQLite adapter of the storage port: the embedded default, one file in WAL mode."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Collection
from pathlib import Path

import orjson

from cityioc.core.clock import Clock, SystemClock
from cityioc.core.failures import FailureNotice
from cityioc.hub.models import Mutation, StoredEntity
from cityioc.store.migrations import migrations_for
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
from cityioc.store.sqlite import compaction, entities, series
from cityioc.store.sqlite.accounts import SqliteAccounts
from cityioc.store.sqlite.dead_letters import SqliteDeadLetters
from cityioc.store.sqlite.engine import SqliteEngine
from cityioc.store.sqlite.module_state import SqliteModuleState
from cityioc.store.sqlite.subscriptions import SqliteSubscriptions, write_outbox

log = logging.getLogger(__name__)
# Compact when this many samples are hot, or when the oldest hot sample waited this long.
COMPACT_ROWS = 300_000
COMPACT_EVERY_S = 30.0
COMPACT_STEP_ROWS = 500
# Steps of one compaction job: as many as fit in this time (under load a job gets one turn per
# commit cycle), so that an urgent write (an alert) waits for at most about this long …
COMPACT_JOB_S = 0.008
# … and longer when compaction falls behind (this many times COMPACT_ROWS hot: the most), so that
# under sustained overload the hot table stays bounded and ingestion slows down instead.
COMPACT_BEHIND = 6
URGENT_ENTITIES = 4
# Under sustained overload compaction falls behind: past this many hot rows, bulk writes wait for
# it (an ingesting client slows down; MQTT messages wait at the broker) rather than the hot table
# growing without end. Urgent writes (alerts, edits) never wait.
HOT_LIMIT = 1_500_000


def _register_functions(conn: sqlite3.Connection) -> None:
    conn.create_function("regexp", 2, entities.regexp, deterministic=True)


class SqliteStore:
    backend = "sqlite"

    def __init__(
        self, path: Path | str, *, clock: Clock | None = None, synchronous: str = "FULL"
    ) -> None:
        self.path = Path(path)
        self.clock = clock or SystemClock()
        self.engine = SqliteEngine(self.path, synchronous=synchronous, setup=_register_functions)
        self._series = series.SeriesIndex()
        self.subscriptions = SqliteSubscriptions(self.engine)
        self.dead_letters = SqliteDeadLetters(self.engine)
        self.module_state = SqliteModuleState(self.engine)
        self.accounts = SqliteAccounts(self.engine)
        self._compactor: asyncio.Task[None] | None = None
        self._last_compaction = time.monotonic()
        self._room = asyncio.Event()  # set while bulk writes may go ahead (HOT_LIMIT)
        self._room.set()

    async def open(self) -> None:
        self.engine.start()
        await self.migrate()
        self._series.hot_rows, self._series.new_rows = await self.engine.read(
            lambda c: c.execute(
                "SELECT (SELECT count(*) FROM samples_hot) + (SELECT count(*) FROM samples_new),"
                " (SELECT count(*) FROM samples_new)"
            ).fetchone()
        )
        self._compactor = asyncio.create_task(self._compact_forever())

    async def close(self) -> None:
        if self._compactor is not None:
            self._compactor.cancel()
            await asyncio.gather(self._compactor, return_exceptions=True)
        await self.engine.close()

    async def compact(self) -> int:
        """Move the hot samples into blocks and rollups (it also happens by itself): about as
        many as were hot when it started — with no concurrent writes, all of them.

        In jobs of a few milliseconds, each its own write, so that ingestion and the event
        loop get their turn in between instead of waiting for one long compaction.
        """
        self._last_compaction = time.monotonic()
        # One round moves what is hot now; what arrives meanwhile waits for the next round
        # (chasing it would re-encode the same tail blocks over and over under load).
        budget, moved = self._series.hot_rows, 0
        await self.engine.write(lambda c: series.fold(c, self._series))
        while moved < budget or budget == 0:
            step = await self.engine.write(self._compact_job)
            if self._series.hot_rows < HOT_LIMIT:
                self._room.set()
            if not step:
                break
            moved += step
            budget = budget or step  # the count was unknown (0): one job, then stop
        return moved

    def _compact_job(self, conn: sqlite3.Connection) -> int:
        behind = min(COMPACT_BEHIND, max(1.0, self._series.hot_rows / COMPACT_ROWS))
        moved, started = 0, time.perf_counter()
        while time.perf_counter() - started < COMPACT_JOB_S * behind:
            step = compaction.compact(conn, self._series, COMPACT_STEP_ROWS)
            if not step:
                break
            moved += step
        return moved

    async def _compact_forever(self) -> None:
        notice = FailureNotice(log, "compaction")
        while True:
            await asyncio.sleep(0.5)
            if self._series.hot_rows < HOT_LIMIT:  # e.g. after retention compacted everything
                self._room.set()
            due = time.monotonic() - self._last_compaction >= COMPACT_EVERY_S
            if self._series.hot_rows >= COMPACT_ROWS or (due and self._series.hot_rows):
                try:
                    await self.compact()
                    notice.succeeded()
                except Exception:  # the hot rows stay and are retried
                    notice.failed()

    async def migrate(self) -> list[int]:
        return await self.engine.write(self._migrate)

    def _migrate(self, conn: sqlite3.Connection) -> list[int]:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
        )
        done = {r[0] for r in conn.execute("SELECT version FROM schema_version")}
        applied = []
        for migration in migrations_for("sqlite"):
            if migration.version in done:
                continue
            for statement in _statements(migration.sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)",
                (migration.version, migration.name, self.clock.now_ms()),
            )
            applied.append(migration.version)
        return applied

    async def ping(self) -> None:
        await self.engine.read(lambda c: c.execute("SELECT 1").fetchone())

    async def mutate(
        self,
        tenant: str,
        ids: Collection[str],
        decide: Decide,
        actor: str,
        audit: Collection[AuditRecord] = (),
    ) -> Mutation:
        def job(conn: sqlite3.Connection) -> Mutation:
            loaded = entities.load(conn, tenant, ids)
            mutation = decide({eid: pair[1] for eid, pair in loaded.items()})
            entities.save_all(conn, tenant, mutation.upserts, loaded)
            for eid in mutation.deletes:
                if eid in loaded:
                    entities.delete(conn, tenant, *loaded[eid])
            series.write_samples(conn, self._series, tenant, mutation.samples)
            write_outbox(conn, tenant, mutation.outbox)
            _write_audit(conn, audit)
            return mutation

        # A write of one or a few entities (an alert, an operator's edit) goes ahead of the bulk
        urgent = len(ids) <= URGENT_ENTITIES
        if not urgent and self._series.hot_rows >= HOT_LIMIT:
            self._room.clear()  # the compactor sets it again once below the limit
            await self._room.wait()
        return await self.engine.write(job, urgent=urgent)

    async def get_entities(self, tenant: str, ids: Collection[str]) -> dict[str, StoredEntity]:
        found = await self.engine.read(lambda c: entities.load(c, tenant, ids))
        return {eid: pair[1] for eid, pair in found.items()}

    async def query_entities(
        self, tenant: str, query: EntityQuery
    ) -> tuple[list[StoredEntity], int | None]:
        return await self.engine.read(lambda c: entities.query(c, tenant, query))

    async def tenant_exists(self, tenant: str) -> bool:
        row = await self.engine.read(
            lambda c: (
                c.execute("SELECT 1 FROM entities WHERE tenant = ? LIMIT 1", (tenant,)).fetchone()
                or c.execute("SELECT 1 FROM series WHERE tenant = ? LIMIT 1", (tenant,)).fetchone()
            )
        )
        return row is not None

    async def entity_types(self, tenant: str) -> dict[str, list[str]]:
        def run(c: sqlite3.Connection) -> dict[str, list[str]]:
            out: dict[str, set[str]] = {}
            rows = c.execute(
                "SELECT t.type, j.key FROM entity_types t JOIN entities e ON e.rid = t.rid,"
                " json_each(e.doc) j WHERE t.tenant = ?",
                (tenant,),
            )
            for etype, attr in rows:
                out.setdefault(etype, set()).add(attr)
            for (etype,) in c.execute(
                "SELECT DISTINCT type FROM entity_types WHERE tenant = ?", (tenant,)
            ):
                out.setdefault(etype, set())
            return {k: sorted(v) for k, v in sorted(out.items())}

        return await self.engine.read(run)

    async def type_counts(self, tenant: str) -> dict[str, int]:
        rows = await self.engine.read(
            lambda c: c.execute(
                "SELECT type, count(*) FROM entity_types WHERE tenant = ? GROUP BY type", (tenant,)
            ).fetchall()
        )
        return {t: n for t, n in rows}

    async def read_series(
        self,
        tenant: str,
        keys: Collection[SeriesKey],
        start: int | None,
        end: int | None,
        last_n: int | None = None,
    ) -> dict[SeriesKey, SeriesData]:
        return await self.engine.read(lambda c: series.read(c, tenant, keys, start, end, last_n))

    async def series_of(self, tenant: str, entity_id: str) -> list[SeriesKey]:
        return await self.engine.read(lambda c: series.series_of(c, tenant, entity_id))

    async def series_extent(self, tenant: str, key: SeriesKey) -> tuple[int, int] | None:
        return await self.engine.read(lambda c: series.extent(c, tenant, key))

    async def read_rollups(
        self, tenant: str, key: SeriesKey, width: int, start: int | None, end: int | None
    ) -> RollupData:
        return await self.engine.read(
            lambda c: series.read_rollups(c, tenant, key, width, start, end)
        )

    async def delete_series(self, tenant: str, entity_id: str, attr: str | None) -> int:
        def job(conn: sqlite3.Connection) -> int:
            removed = series.delete(conn, tenant, entity_id, attr)
            self._series.forget(tenant, entity_id)
            return removed

        return await self.engine.write(job)

    async def purge_raw_before(self, cutoff_ms: int) -> int:
        def job(conn: sqlite3.Connection) -> int:
            compaction.compact(conn, self._series)  # roll up what is hot before dropping raw data
            return series.purge_before(conn, cutoff_ms)

        return await self.engine.write(job)

    async def put_api_key(self, record: ApiKeyRecord) -> None:
        await self.engine.write(
            lambda c: c.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.key_id,
                    record.key_hash,
                    record.role,
                    record.name,
                    record.tenant,
                    record.created_at,
                    record.created_by,
                    record.revoked_at,
                    record.agency,
                ),
            )
        )

    async def find_api_key(self, key_hash: str) -> ApiKeyRecord | None:
        row = await self.engine.read(
            lambda c: c.execute("SELECT * FROM api_keys WHERE key_hash = ?", (key_hash,)).fetchone()
        )
        return ApiKeyRecord(*row) if row else None

    async def list_api_keys(self) -> list[ApiKeyRecord]:
        rows = await self.engine.read(
            lambda c: c.execute("SELECT * FROM api_keys ORDER BY created_at").fetchall()
        )
        return [ApiKeyRecord(*row) for row in rows]

    async def revoke_api_key(self, key_id: str, at: int) -> bool:
        changed = await self.engine.write(
            lambda c: (
                c.execute(
                    "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                    (at, key_id),
                ).rowcount
            )
        )
        return bool(changed)

    async def audit_trail(self, tenant: str, subject: str, limit: int = 100) -> list[AuditRecord]:
        rows = await self.engine.read(
            lambda c: c.execute(
                "SELECT at, actor, tenant, action, subject, detail, seq FROM audit"
                " WHERE tenant = ? AND subject = ? ORDER BY seq DESC LIMIT ?",
                (tenant, subject, limit),
            ).fetchall()
        )
        return [
            AuditRecord(at, actor, ten, action, subj, orjson.loads(detail) if detail else None, seq)
            for at, actor, ten, action, subj, detail, seq in rows
        ]

    def pool_stats(self) -> dict[str, int]:
        return {"writer": 1, "readers": self.engine.reader_count}

    def commit_count(self) -> int:
        return self.engine.commits

    async def stats(self) -> StoreStats:
        def run(c: sqlite3.Connection) -> StoreStats:
            return StoreStats(
                entities=c.execute("SELECT count(*) FROM entities").fetchone()[0],
                series=c.execute("SELECT count(*) FROM series").fetchone()[0],
                samples=c.execute(
                    "SELECT (SELECT coalesce(sum(n), 0) FROM sample_blocks)"
                    " + (SELECT count(*) FROM samples_hot) + (SELECT count(*) FROM samples_new)"
                ).fetchone()[0],
                extra={
                    "commits": float(self.engine.commits),
                    "writes_committed": float(self.engine.jobs_committed),
                },
            )

        return await self.engine.read(run)


def _write_audit(conn: sqlite3.Connection, records: Collection[AuditRecord]) -> None:
    if records:
        conn.executemany(
            "INSERT INTO audit (at, actor, tenant, action, subject, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    r.at,
                    r.actor,
                    r.tenant,
                    r.action,
                    r.subject,
                    orjson.dumps(r.detail).decode() if r.detail is not None else None,
                )
                for r in records
            ],
        )


def _statements(sql: str) -> list[str]:
    """Split a migration file into statements; executescript would commit behind our back."""
    out, current = [], ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            out.append(current)
            current = ""
    return out

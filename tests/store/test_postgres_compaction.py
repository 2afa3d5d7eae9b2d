"""PostgreSQL's hot table and compressed blocks: compaction, late data, two processes, retention,
and a database written before the block layout existed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from typing import Any

import numpy as np
import psycopg
import pytest

from cityioc.core.clock import FakeClock
from cityioc.hub.models import Mutation, Sample, StoredEntity
from cityioc.store.migrations import migrations_for
from cityioc.store.port import SeriesKey
from cityioc.store.postgres import compaction
from cityioc.store.postgres.store import PostgresStore
from tests.services import create_postgres_database, drop_postgres_database
from tests.store.checks import assert_rollups_match_raw

pytestmark = pytest.mark.postgres
PM25 = "https://uri.etsi.org/ngsi-ld/default-context/pm25"
HOUR = 3_600_000
DAY = 86_400_000
START = 1_764_000_000_000 // DAY * DAY
Pair = tuple[PostgresStore, PostgresStore]


def _store(url: str, clock: FakeClock) -> PostgresStore:
    return PostgresStore(url, clock=clock, max_size=4, compact_every_s=None)  # compact by hand


@pytest.fixture
async def store(postgres_url: str, clock: FakeClock) -> AsyncIterator[PostgresStore]:
    s = _store(postgres_url, clock)
    await s.open()
    try:
        yield s
    finally:
        await s.close()
        _truncate(postgres_url)


@pytest.fixture
async def stores(postgres_url: str, clock: FakeClock) -> AsyncIterator[Pair]:
    a, b = _store(postgres_url, clock), _store(postgres_url, clock)
    await asyncio.gather(a.open(), b.open())
    try:
        yield a, b
    finally:
        await asyncio.gather(a.close(), b.close())
        _truncate(postgres_url)


def _truncate(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE entities, series, samples, sample_blocks, rollups")


async def write(store: PostgresStore, samples: list[Sample]) -> None:
    def decide(current: Mapping[str, StoredEntity]) -> Mutation:
        return Mutation(samples=samples)

    await store.mutate("default", [], decide, "t")


def series(eid: str, start: int, values: list[Any], step: int = 60_000) -> list[Sample]:
    return [Sample(eid, PM25, start + i * step, v) for i, v in enumerate(values)]


def counts(url: str) -> tuple[int, int]:
    """(hot rows, samples in blocks)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM samples), (SELECT coalesce(sum(n), 0) FROM sample_blocks)"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


async def everything(store: PostgresStore, key: SeriesKey) -> list[Any]:
    """What a reader sees of a series: raw samples, windows, lastN, extent and both rollups."""
    data = (await store.read_series("default", [key], None, None))[key]
    window = (await store.read_series("default", [key], START + 3 * HOUR, START + 30 * HOUR))[key]
    last = (await store.read_series("default", [key], None, START + 20 * HOUR, last_n=5))[key]
    seen: list[Any] = [
        data.times.tolist(),
        data.values,
        window.times.tolist(),
        last.values,
        await store.series_extent("default", key),
    ]
    for width in (HOUR, DAY):
        r = await store.read_rollups("default", key, width, None, None)
        seen.append((r.buckets.tolist(), r.n.tolist(), r.sum.round(6).tolist(), r.mx.tolist()))
    return seen


async def test_compaction_moves_the_rows_and_reads_are_unchanged(
    store: PostgresStore, postgres_url: str
) -> None:
    keys = [SeriesKey(f"urn:c:{n}", PM25) for n in range(3)]
    rng = np.random.default_rng(3)
    for n, key in enumerate(keys):
        values: list[Any] = [round(float(v), 1) for v in rng.normal(30, 5, 3_000)]
        values[7] = "offline"  # one JSON value among the numbers
        await write(store, series(key.entity_id, START + n * 1_000, values, step=37_000))
    before = [await everything(store, key) for key in keys]
    assert counts(postgres_url) == (9_000, 0)

    assert await store.compact() == 9_000
    assert counts(postgres_url) == (0, 9_000)
    assert [await everything(store, key) for key in keys] == before

    # New rows go hot again, then extend the tail blocks.
    await write(store, series("urn:c:0", START + 3_000 * 37_000, [1.0, 2.0]))
    assert counts(postgres_url) == (2, 9_000)
    with psycopg.connect(postgres_url) as conn:
        blocks_before = conn.execute("SELECT count(*) FROM sample_blocks").fetchone()
    assert await store.compact() == 2
    with psycopg.connect(postgres_url) as conn:
        blocks_after = conn.execute("SELECT count(*) FROM sample_blocks").fetchone()
    assert blocks_after == blocks_before
    data = (await store.read_series("default", [keys[0]], None, None))[keys[0]]
    assert len(data.values) == 3_002 and data.values[-2:] == [1.0, 2.0]
    assert (await store.stats()).samples == 9_002


async def test_a_changed_repeat_of_a_compacted_sample_replaces_it(
    store: PostgresStore, postgres_url: str
) -> None:
    key = SeriesKey("urn:r", PM25)
    await write(store, series("urn:r", START, [10.0] * 120))  # two hours, one a minute
    await store.compact()
    await write(store, series("urn:r", START, [10.0] * 3))  # a redelivery: the same values
    await write(store, [Sample("urn:r", PM25, START + 60_000, 70.0)])  # a correction
    for _ in range(2):  # while hot (late data), then once merged into the blocks
        data = (await store.read_series("default", [key], None, None))[key]
        assert len(data.values) == 120 and data.values[:3] == [10.0, 70.0, 10.0]
        hour = await store.read_rollups("default", key, HOUR, None, None)
        assert hour.buckets.tolist() == [START, START + HOUR]
        assert (hour.n.tolist(), hour.sum.tolist()) == ([60, 60], [660.0, 600.0])
        assert hour.mx.tolist() == [70.0, 10.0]
        day = await store.read_rollups("default", key, DAY, START, START + DAY)
        assert (day.n.tolist(), day.sum.tolist()) == ([120], [1_260.0])
        await store.compact()
    assert counts(postgres_url) == (0, 120)


async def test_two_processes_compacting_at_once_lose_and_double_nothing(
    stores: Pair, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = stores
    entities = [f"urn:p:{n}" for n in range(40)]
    expected: dict[str, dict[int, float]] = {eid: {} for eid in entities}

    async def writer(store: PostgresStore, rounds: range) -> None:
        for r in rounds:
            batch = []
            for n, eid in enumerate(entities):
                for i in range(50):
                    t = START + (r * 50 + i) * 10_000
                    value = float((r * 7 + n + i) % 100)
                    expected[eid][t] = value
                    batch.append(Sample(eid, PM25, t, value))
            await write(store, batch)
            await asyncio.sleep(0)

    async def compactor(store: PostgresStore) -> None:
        for _ in range(15):
            await store.compact()
            await asyncio.sleep(0.005)

    # Writers in both processes (new times, and repeats of times already compacted) while both
    # compact, in small steps so that their steps interleave.
    monkeypatch.setattr(compaction, "STEP_ROWS", 300)
    await asyncio.gather(
        writer(a, range(0, 20)),
        writer(b, range(10, 30)),  # rounds 10-19 again: repeats, the same values
        compactor(a),
        compactor(b),
    )
    await asyncio.gather(a.compact(), b.compact())
    assert counts(postgres_url) == (0, 40 * 30 * 50)
    keys = [SeriesKey(eid, PM25) for eid in entities]
    found = await a.read_series("default", keys, None, None)
    for key in keys:
        data = found[key]
        want = expected[key.entity_id]
        assert data.times.tolist() == sorted(want)
        assert data.values == [want[t] for t in sorted(want)]
        await assert_rollups_match_raw(b, key)


async def test_a_compaction_step_skips_when_another_process_holds_the_lock(
    stores: Pair, postgres_url: str
) -> None:
    a, b = stores
    await write(a, series("urn:l", START, [1.0, 2.0, 3.0]))
    async with a.pool.connection() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (compaction.COMPACTION_LOCK,))
        async with b.pool.connection() as other, other.transaction():
            assert await compaction.step(other.cursor(binary=True), -1, 100) is None
        assert counts(postgres_url) == (3, 0)
    assert await b.compact() == 3


async def test_a_step_that_dies_before_its_commit_changes_nothing(
    store: PostgresStore, postgres_url: str
) -> None:
    await write(store, series("urn:d", START, [1.0, 2.0, 3.0]))
    async with store.pool.connection() as conn:
        with pytest.raises(RuntimeError):
            async with conn.transaction():
                assert await compaction.step(conn.cursor(binary=True), -1, 100) == (3, None)
                raise RuntimeError("the process dies here")
    assert counts(postgres_url) == (3, 0)
    assert await store.compact() == 3
    assert counts(postgres_url) == (0, 3)


async def test_the_background_task_compacts_by_itself(postgres_url: str, clock: FakeClock) -> None:
    s = PostgresStore(postgres_url, clock=clock, max_size=2, compact_every_s=0.05)
    await s.open()
    try:
        await write(s, series("urn:bg", START, [1.0] * 10))
        for _ in range(200):
            if counts(postgres_url) == (0, 10):
                break
            await asyncio.sleep(0.05)
        assert counts(postgres_url) == (0, 10)
    finally:
        await s.close()
        _truncate(postgres_url)


async def test_retention_drops_old_blocks_and_keeps_rollups(
    store: PostgresStore, postgres_url: str
) -> None:
    key = SeriesKey("urn:old", PM25)
    await write(store, series("urn:old", START, [float(i % 10) for i in range(3_000)]))
    await store.compact()
    await write(store, series("urn:old", START + 3_000 * 60_000, [5.0, 5.0]))  # still hot
    before = await store.read_rollups("default", key, DAY, None, None)
    cutoff = START + 2_500 * 60_000 + 30_000  # inside a block: that block is cut
    assert await store.purge_raw_before(cutoff) == 2_501
    assert counts(postgres_url) == (0, 501)
    data = (await store.read_series("default", [key], None, None))[key]
    assert data.times[0] == START + 2_501 * 60_000 and len(data.values) == 501
    after = await store.read_rollups("default", key, DAY, None, None)
    assert (after.n.tolist(), after.sum.tolist()) == (before.n.tolist(), before.sum.tolist())
    with psycopg.connect(postgres_url) as conn:
        row = conn.execute("SELECT min(t0) FROM sample_blocks").fetchone()
    assert row is not None and row[0] == START + 2_501 * 60_000


async def test_deleting_a_series_removes_its_blocks(
    store: PostgresStore, postgres_url: str
) -> None:
    await write(store, series("urn:x", START, [1.0] * 2_000))
    await store.compact()
    await write(store, series("urn:x", START + 2_000 * 60_000, [2.0] * 5))
    assert await store.delete_series("default", "urn:x", None) == 2_005
    assert counts(postgres_url) == (0, 0)
    with psycopg.connect(postgres_url) as conn:
        row = conn.execute("SELECT count(*) FROM rollups").fetchone()
    assert row == (0,)


async def test_a_database_from_before_the_blocks_migrates(clock: FakeClock) -> None:
    """Rows written by the row-per-sample layout (and counted in its rollups) stay readable and
    exact, and compaction moves them into blocks."""
    url = create_postgres_database("cityioc_test_legacy")
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE schema_version (version INTEGER PRIMARY KEY,"
                " name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
            )
            for m in migrations_for("postgres"):
                if m.version < 7:
                    conn.execute(m.sql.encode())
                    conn.execute(
                        "INSERT INTO schema_version VALUES (%s, %s, 0)", (m.version, m.name)
                    )
            conn.execute(
                "INSERT INTO series (tenant, entity_id, attr) VALUES ('default', 'urn:o', %s)",
                (PM25,),
            )
            conn.execute(
                "INSERT INTO samples SELECT 1, %s + i * 60000, i %% 7, NULL"
                " FROM generate_series(0, 2999) AS i",
                (START,),
            )
            conn.execute(
                "INSERT INTO rollups SELECT sid, w, t - t % w, count(*), sum(v), sum(v * v),"
                " min(v), max(v) FROM samples, (VALUES (3600000), (86400000)) AS x (w)"
                " GROUP BY 1, 2, 3"
            )
        store = _store(url, clock)
        await store.open()
        try:
            key = SeriesKey("urn:o", PM25)
            await write(store, series("urn:o", START + 3_000 * 60_000, [100.0]))  # a new one
            await write(store, [Sample("urn:o", PM25, START, 50.0)])  # a correction
            before = await everything(store, key)
            values = await assert_rollups_match_raw(store, key)
            assert len(values) == 3_001 and values[0] == 50.0
            assert await store.compact() == 3_001
            assert counts(url) == (0, 3_001)
            assert await everything(store, key) == before
            await assert_rollups_match_raw(store, key)
        finally:
            await store.close()
    finally:
        drop_postgres_database(url)

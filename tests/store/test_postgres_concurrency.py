"""Two PostgresStore instances on one database behave like two processes sharing it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine, Mapping
from typing import Any

import psycopg
import pytest

from cityioc.core.clock import FakeClock
from cityioc.core.errors import AlreadyExists
from cityioc.hub.models import Mutation, Sample, StoredEntity
from cityioc.store.migrations import migrations_for
from cityioc.store.port import Decide, SeriesKey
from cityioc.store.postgres.store import PostgresStore
from tests.services import create_postgres_database, drop_postgres_database
from tests.store.checks import assert_rollups_match_raw

pytestmark = pytest.mark.postgres
T = "https://uri.etsi.org/ngsi-ld/default-context/"
PM25 = T + "pm25"
Pair = tuple[PostgresStore, PostgresStore]


@pytest.fixture
async def stores(postgres_url: str, clock: FakeClock) -> AsyncIterator[Pair]:
    a, b = PostgresStore(postgres_url, clock=clock), PostgresStore(postgres_url, clock=clock)
    await asyncio.gather(a.open(), b.open())
    try:
        yield a, b
    finally:
        await asyncio.gather(a.close(), b.close())
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(
                "TRUNCATE entities, series, samples, sample_blocks, rollups, audit, api_keys"
            )


def create(eid: str, attr: str) -> Decide:
    """Create the entity, refusing if it exists (like POST /entities)."""

    def decide(current: Mapping[str, StoredEntity]) -> Mutation:
        if eid in current:
            raise AlreadyExists(eid)
        doc: dict[str, Any] = {attr: {"type": "Property", "value": 1}}
        return Mutation(upserts=[StoredEntity(eid, [T + "Thing"], doc, 1, 1, "t", "t")])

    return decide


def merge(eid: str, attr: str) -> Decide:
    """Create the entity or add an attribute to it (like an upsert)."""

    def decide(current: Mapping[str, StoredEntity]) -> Mutation:
        entity = current.get(eid) or StoredEntity(eid, [T + "Thing"], {}, 1, 1, "t", "t")
        entity.doc[attr] = {"type": "Property", "value": 1}
        return Mutation(upserts=[entity])

    return decide


async def test_a_create_racing_an_uncommitted_one_sees_it_after_retry(
    stores: Pair, postgres_url: str
) -> None:
    a, _ = stores
    decided: list[bool] = []
    decide = create("urn:x", T + "a")

    def recording(current: Mapping[str, StoredEntity]) -> Mutation:
        decided.append("urn:x" in current)
        return decide(current)

    # Another process has inserted urn:x and not committed yet.
    async with await psycopg.AsyncConnection.connect(postgres_url) as other:
        await other.execute(
            "INSERT INTO entities (tenant, id, types, doc, created_at, modified_at, created_by,"
            " modified_by) VALUES ('default', 'urn:x', '{t}', '{}', 1, 1, 'o', 'o')"
        )
        attempt = asyncio.create_task(a.mutate("default", ["urn:x"], recording, "t"))
        await _until_a_backend_waits_on_a_lock(postgres_url)  # our insert, on theirs
        await other.commit()
        with pytest.raises(AlreadyExists):
            await attempt
    assert decided == [False, True]  # it decided to create, then saw the row and refused
    got = await a.get_entities("default", ["urn:x"])
    assert got["urn:x"].created_by == "o"


async def _until_a_backend_waits_on_a_lock(url: str) -> None:
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as watcher:
        for _ in range(500):
            cur = await watcher.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            row = await cur.fetchone()
            if row and row[0]:
                return
            await asyncio.sleep(0.01)
    raise AssertionError("no backend ever waited on a lock")


async def test_concurrent_creates_from_two_processes(stores: Pair) -> None:
    a, b = stores
    ids = [f"urn:c:{i}" for i in range(40)]
    results = await asyncio.gather(
        *(
            s.mutate("default", [eid], create(eid, T + name), "t")
            for eid in ids
            for s, name in ((a, "a"), (b, "b"))
        ),
        return_exceptions=True,
    )
    for i in range(len(ids)):
        pair = results[2 * i : 2 * i + 2]
        assert sum(isinstance(r, Mutation) for r in pair) == 1, pair
        assert sum(isinstance(r, AlreadyExists) for r in pair) == 1, pair
    got = await b.get_entities("default", ids)
    assert len(got) == len(ids)


async def test_concurrent_upserts_from_two_processes_merge(stores: Pair) -> None:
    a, b = stores
    ids = [f"urn:m:{i}" for i in range(40)]
    await asyncio.gather(
        *(
            s.mutate("default", [eid], merge(eid, T + name), "t")
            for eid in ids
            for s, name in ((a, "a"), (b, "b"))
        ),
    )
    got = await a.get_entities("default", ids)
    assert all(sorted(e.doc) == [T + "a", T + "b"] for e in got.values())


def _write(store: PostgresStore, samples: list[Sample]) -> Coroutine[Any, Any, Mutation]:
    def decide(current: Mapping[str, StoredEntity]) -> Mutation:
        return Mutation(samples=samples)

    return store.mutate("default", [], decide, "t")


async def test_concurrent_samples_of_one_series_are_stored_and_counted_once(stores: Pair) -> None:
    a, b = stores
    # Both processes write overlapping batches of the same, new, series: every time is written
    # by both (a redelivery through two processes), with the same value.
    step = 1_000
    batches = [
        [Sample("urn:s", PM25, t, float(t // step % 97)) for t in range(lo, lo + 300 * step, step)]
        for lo in range(0, 3_000 * step, 150 * step)
    ]
    await asyncio.gather(*(_write(s, batch) for batch in batches for s in (a, b)))
    key = SeriesKey("urn:s", PM25)
    values = await assert_rollups_match_raw(b, key)
    assert len(values) == 3_000 + 150
    assert await a.series_of("default", "urn:s") == [key]


async def test_interleaved_new_samples_from_two_processes_add_up(stores: Pair) -> None:
    a, b = stores
    # New times only (the fast path in both), the same buckets: the rollup upserts race.
    writes = [
        _write(s, [Sample("urn:i", PM25, t, 1.0) for t in range(lo + odd, lo + 2_000, 2)])
        for lo in range(0, 80_000, 2_000)
        for s, odd in ((a, 0), (b, 1))
    ]
    await asyncio.gather(*writes)
    values = await assert_rollups_match_raw(a, SeriesKey("urn:i", PM25))
    assert len(values) == 80_000


async def test_concurrent_corrections_keep_rollups_true(stores: Pair) -> None:
    a, b = stores
    step = 7_000
    await _write(a, [Sample("urn:k", PM25, i * step, 1.0) for i in range(2_000)])
    # Both processes now rewrite overlapping ranges with their own values, and add new times.
    writes = [
        _write(s, [Sample("urn:k", PM25, i * step, value) for i in range(lo, lo + 400)])
        for lo in range(0, 2_000, 200)
        for s, value in ((a, 2.0), (b, 3.0))
    ]
    await asyncio.gather(*writes)
    values = await assert_rollups_match_raw(a, SeriesKey("urn:k", PM25))
    assert len(values) == 2_000 + 200
    assert set(values.tolist()) <= {2.0, 3.0}


async def test_deleting_a_series_elsewhere_does_not_strand_our_writes(stores: Pair) -> None:
    a, b = stores
    key = SeriesKey("urn:d", PM25)
    await _write(a, [Sample("urn:d", PM25, 0, 1.0)])  # a caches the series id
    assert await b.delete_series("default", "urn:d", None) == 1
    for _ in range(100):  # the NOTIFY reaches a's listener
        if "urn:d" not in {k[0] for k in a._series.sid.get("default", {})}:
            break
        await asyncio.sleep(0.02)
    await _write(a, [Sample("urn:d", PM25, 60_000, 5.0)])
    assert (await b.read_series("default", [key], None, None))[key].values == [5.0]


async def test_two_processes_migrating_a_new_database_at_once(clock: FakeClock) -> None:
    url = create_postgres_database("cityioc_test_migrate")
    try:
        a, b = PostgresStore(url, clock=clock), PostgresStore(url, clock=clock)
        await asyncio.gather(a.open(), b.open())
        assert await a.migrate() == [] and await b.migrate() == []
        await asyncio.gather(a.close(), b.close())
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT version FROM schema_version").fetchall()
        assert sorted(r[0] for r in rows) == [m.version for m in migrations_for("postgres")]
    finally:
        drop_postgres_database(url)

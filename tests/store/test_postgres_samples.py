"""What the PostgreSQL adapter stores for samples, beyond the shared contract tests."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Mapping
from typing import Any

import psycopg
import pytest

from cityioc.core.clock import FakeClock
from cityioc.core.errors import BadRequestData
from cityioc.hub.models import Mutation, Sample, StoredEntity
from cityioc.store.port import SeriesKey
from cityioc.store.postgres.store import PostgresStore

pytestmark = pytest.mark.postgres
PM25 = "https://uri.etsi.org/ngsi-ld/default-context/pm25"
KEY = SeriesKey("urn:v", PM25)


@pytest.fixture
async def store(postgres_url: str, clock: FakeClock) -> AsyncIterator[PostgresStore]:
    # No background compaction: these tests look at the hot rows themselves.
    s = PostgresStore(postgres_url, clock=clock, max_size=2, compact_every_s=None)
    await s.open()
    try:
        yield s
    finally:
        await s.close()
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(
                "TRUNCATE entities, series, samples, sample_blocks, rollups, audit, api_keys"
            )


async def write(store: PostgresStore, samples: list[Sample]) -> None:
    def decide(current: Mapping[str, StoredEntity]) -> Mutation:
        return Mutation(samples=samples)

    await store.mutate("default", [], decide, "t")


def rows(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT t, v, j FROM samples ORDER BY t").fetchall()


async def test_numbers_go_in_v_and_everything_else_in_j(
    store: PostgresStore, postgres_url: str
) -> None:
    values: list[Any] = [1, 2.5, True, False, None, "x", [1, "a"], {"k": {"n": 1}}, "é \u2603"]
    await write(store, [Sample("urn:v", PM25, i, v) for i, v in enumerate(values)])
    stored = rows(postgres_url)
    assert [r[1] is not None for r in stored] == [True, True] + [False] * 7
    assert [r[2] for r in stored][2:] == values[2:]
    got = (await store.read_series("default", [KEY], None, None))[KEY].values
    assert got == values
    assert [type(v) for v in got[2:4]] == [bool, bool]
    hour = await store.read_rollups("default", KEY, 3_600_000, None, None)
    assert (hour.n.tolist(), hour.sum.tolist()) == ([2], [3.5])  # the bools are not counted


async def test_non_finite_floats_round_trip(store: PostgresStore) -> None:
    await write(
        store, [Sample("urn:v", PM25, i, v) for i, v in enumerate([math.inf, -math.inf, -0.0])]
    )
    got = (await store.read_series("default", [KEY], None, None))[KEY].values
    assert got == [math.inf, -math.inf, 0.0] and math.copysign(1, got[2]) == -1
    await write(store, [Sample("urn:v", PM25, 9, math.nan)])
    await write(store, [Sample("urn:v", PM25, 9, math.nan)])  # a repeat of NaN is a repeat
    assert math.isnan((await store.read_series("default", [KEY], 9, 10))[KEY].values[0])


async def test_a_repeat_within_one_batch_keeps_the_last_value(store: PostgresStore) -> None:
    batch = [Sample("urn:v", PM25, 0, v) for v in (1.0, 5.0, "late", 7.0)]
    batch += [Sample("urn:v", PM25, 60_000, 2.0), Sample("urn:v", PM25, 60_000, 2.0)]
    await write(store, batch)
    assert (await store.read_series("default", [KEY], None, None))[KEY].values == [7.0, 2.0]
    hour = await store.read_rollups("default", KEY, 3_600_000, None, None)
    assert (hour.n.tolist(), hour.sum.tolist()) == ([2], [9.0])


async def test_a_value_turning_non_numeric_leaves_its_buckets(store: PostgresStore) -> None:
    await write(store, [Sample("urn:v", PM25, 0, 4.0), Sample("urn:v", PM25, 3_600_000, 6.0)])
    await write(store, [Sample("urn:v", PM25, 0, "offline")])
    hour = await store.read_rollups("default", KEY, 3_600_000, None, None)
    assert (hour.buckets.tolist(), hour.n.tolist()) == ([3_600_000], [1])
    day = await store.read_rollups("default", KEY, 86_400_000, None, None)
    assert (day.n.tolist(), day.sum.tolist(), day.mn.tolist()) == ([1], [6.0], [6.0])
    await write(store, [Sample("urn:v", PM25, 0, 1.0)])  # and back to a number
    day = await store.read_rollups("default", KEY, 86_400_000, None, None)
    assert (day.n.tolist(), day.sum.tolist(), day.mn.tolist()) == ([2], [7.0], [1.0])


async def test_buckets_before_1970_are_floored_like_python(store: PostgresStore) -> None:
    await write(store, [Sample("urn:v", PM25, -1, 1.0), Sample("urn:v", PM25, -3_600_001, 2.0)])
    hour = await store.read_rollups("default", KEY, 3_600_000, None, None)
    assert hour.buckets.tolist() == [-7_200_000, -3_600_000]
    assert await store.series_extent("default", KEY) == (-3_600_001, -1)


async def test_text_postgres_cannot_hold_is_bad_request_data(store: PostgresStore) -> None:
    with pytest.raises(BadRequestData):
        await write(store, [Sample("urn:v", PM25, 0, "nul \u0000 inside")])
    assert await store.read_series("default", [KEY], None, None) == {}


async def test_pool_and_commit_counters(store: PostgresStore) -> None:
    before = store.commit_count()
    await write(store, [Sample("urn:v", PM25, 0, 1.0)])
    assert store.commit_count() == before + 1
    stats = store.pool_stats()
    assert set(stats) == {"size", "available", "waiting"} and 1 <= stats["size"] <= 2
    assert (await store.stats()).samples == 1


async def test_purging_raw_samples_keeps_the_rollups(store: PostgresStore) -> None:
    await write(
        store,
        [Sample(eid, PM25, i * 60_000, float(i)) for eid in ("urn:v", "urn:w") for i in range(6)],
    )
    assert await store.purge_raw_before(180_000) == 6
    assert (await store.read_series("default", [KEY], None, None))[KEY].values == [3.0, 4.0, 5.0]
    hour = await store.read_rollups("default", KEY, 3_600_000, None, None)
    assert (hour.n.tolist(), hour.sum.tolist()) == ([6], [15.0])


async def test_a_batch_without_numbers_has_no_rollups(store: PostgresStore) -> None:
    await write(store, [Sample("urn:v", PM25, i, "ok") for i in range(3)])
    assert (await store.read_series("default", [KEY], None, None))[KEY].values == ["ok"] * 3
    assert (await store.read_rollups("default", KEY, 3_600_000, None, None)).n.tolist() == []

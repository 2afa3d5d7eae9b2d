"""Writes naming a few entities run pipelined on PostgreSQL, with their samples as parameters;
a big batch of samples leaves the pipeline for COPY. Both store and roll up the same."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import psycopg
import pytest

from cityioc.core.clock import FakeClock
from cityioc.core.errors import ResourceNotFound
from cityioc.hub.models import Mutation, Sample, StoredEntity
from cityioc.store.port import SeriesKey
from cityioc.store.postgres import series
from cityioc.store.postgres.store import PostgresStore

pytestmark = pytest.mark.postgres
TEMP = "https://uri.etsi.org/ngsi-ld/default-context/temperature"
EID = "urn:ngsi-ld:WeatherObserved:p1"
KEY = SeriesKey(EID, TEMP)
HOUR = 3_600_000


@pytest.fixture
async def store(postgres_url: str, clock: FakeClock) -> AsyncIterator[PostgresStore]:
    s = PostgresStore(postgres_url, clock=clock, max_size=1)  # one connection: reused after errors
    await s.open()
    try:
        yield s
    finally:
        await s.close()
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute("TRUNCATE entities, series, samples, rollups, audit, api_keys")


def entity(value: object, at: int) -> StoredEntity:
    doc: dict[str, Any] = {TEMP: {"type": "Property", "value": value}}
    return StoredEntity(EID, ["WeatherObserved"], doc, 0, at, "t", "t")


async def patch(store: PostgresStore, samples: list[Sample]) -> Mutation:
    """What a single PATCH does: lock the entity, update it, add its samples."""

    def decide(current: Mapping[str, StoredEntity]) -> Mutation:
        old = current.get(EID)
        at = samples[-1].t
        return Mutation(
            upserts=[entity(samples[-1].value, at)], samples=samples, partial=old is not None
        )

    return await store.mutate("default", [EID], decide, "t")


async def test_single_entity_writes_store_update_and_roll_up(store: PostgresStore) -> None:
    await patch(store, [Sample(EID, TEMP, 1_000, 20.0)])
    await patch(store, [Sample(EID, TEMP, 2_000, 22.0)])
    found = await store.get_entities("default", [EID])
    attr = found[EID].doc[TEMP]
    assert isinstance(attr, dict) and attr["value"] == 22.0 and found[EID].modified_at == 2_000
    data = (await store.read_series("default", [KEY], None, None))[KEY]
    assert (data.times.tolist(), data.values) == ([1_000, 2_000], [20.0, 22.0])
    hour = await store.read_rollups("default", KEY, HOUR, None, None)
    assert (hour.n.tolist(), hour.sum.tolist(), hour.mx.tolist()) == ([2], [42.0], [22.0])


async def test_a_repeat_with_a_new_value_replaces_it_and_its_rollup(store: PostgresStore) -> None:
    await patch(store, [Sample(EID, TEMP, 1_000, 20.0)])
    await patch(store, [Sample(EID, TEMP, 1_000, 20.0)])  # redelivered: counted once
    await patch(store, [Sample(EID, TEMP, 1_000, 25.0), Sample(EID, TEMP, 3_000, "offline")])
    data = (await store.read_series("default", [KEY], None, None))[KEY]
    assert data.values == [25.0, "offline"]
    hour = await store.read_rollups("default", KEY, HOUR, None, None)
    assert (hour.n.tolist(), hour.sum.tolist(), hour.mn.tolist()) == ([1], [25.0], [25.0])


async def test_a_big_batch_of_one_entity_goes_by_copy(
    store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    few = series._write_few
    sizes: list[int] = []

    async def spy(cur: series.Cursor, sids: list[int], samples: list[Sample]) -> None:
        sizes.append(len(samples))
        await few(cur, sids, samples)

    monkeypatch.setattr(series, "_write_few", spy)
    count = series.FEW_SAMPLES * 3
    batch = [Sample(EID, TEMP, 1_000 * i, float(i)) for i in range(count)]
    await patch(store, batch)
    await patch(store, batch)  # redelivered: COPY fails on the repeats, the careful path runs
    assert sizes == []  # COPY, out of the pipeline
    await patch(store, [Sample(EID, TEMP, 1_000 * count, 1.0)])  # pipelined again afterwards
    assert sizes == [1]
    data = (await store.read_series("default", [KEY], None, None))[KEY]
    assert len(data.values) == count + 1
    hour = await store.read_rollups("default", KEY, HOUR, None, None)
    assert int(hour.n.sum()) == count + 1
    assert float(hour.sum.sum()) == sum(range(count)) + 1.0


async def test_a_refused_write_leaves_nothing_and_the_connection_usable(
    store: PostgresStore,
) -> None:
    await patch(store, [Sample(EID, TEMP, 1_000, 20.0)])

    def refuse(current: Mapping[str, StoredEntity]) -> Mutation:
        raise ResourceNotFound("no")

    with pytest.raises(ResourceNotFound):
        await store.mutate("default", [EID], refuse, "t")
    await patch(store, [Sample(EID, TEMP, 2_000, 21.0)])
    data = (await store.read_series("default", [KEY], None, None))[KEY]
    assert data.values == [20.0, 21.0]

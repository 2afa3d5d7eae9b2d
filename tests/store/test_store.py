"""The storage port's contract, run against every backend (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import numpy as np
import pytest

from cityioc.core.errors import AlreadyExists
from cityioc.hub.models import AttributeValue, Mutation, Sample, StoredEntity
from cityioc.store.names import LOCATION
from cityioc.store.port import (
    ApiKeyRecord,
    AuditRecord,
    Decide,
    EntityQuery,
    SeriesKey,
    SqlFilter,
    Store,
)
from tests.store.checks import assert_rollups_match_raw

T = "https://uri.etsi.org/ngsi-ld/default-context/"
AQ = T + "AirQualityObserved"
PM25 = T + "pm25"


def entity(
    eid: str,
    *,
    types: list[str] | None = None,
    pm25: float | None = None,
    lon: float = 106.65,
    lat: float = 10.98,
) -> StoredEntity:
    doc: dict[str, AttributeValue] = {
        LOCATION: {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}}
    }
    if pm25 is not None:
        doc[PM25] = {"type": "Property", "value": pm25}
    return StoredEntity(eid, types or [AQ], doc, 1, 1, "test", "test")


def put(*entities: StoredEntity) -> Decide:
    def decide(current: Mapping[str, StoredEntity]) -> Mutation:
        return Mutation(upserts=list(entities))

    return decide


async def test_migrations_are_idempotent(store: Store) -> None:
    assert await store.migrate() == []


async def test_create_then_get(store: Store) -> None:
    await store.mutate("default", ["urn:a"], put(entity("urn:a", pm25=12.5)), "key:1")
    got = await store.get_entities("default", ["urn:a", "urn:missing"])
    assert list(got) == ["urn:a"]
    assert got["urn:a"].doc[PM25] == {"type": "Property", "value": 12.5}
    assert got["urn:a"].created_by == "test"


async def test_failed_decision_writes_nothing(store: Store) -> None:
    def decide(current: Mapping[str, StoredEntity]) -> Mutation:
        raise AlreadyExists("no")

    with pytest.raises(AlreadyExists):
        await store.mutate("default", ["urn:a"], decide, "key:1")
    assert await store.get_entities("default", ["urn:a"]) == {}


async def test_concurrent_read_modify_write_is_serialised(store: Store) -> None:
    await store.mutate("default", ["urn:c"], put(entity("urn:c", pm25=0)), "t")

    def increment(current: Mapping[str, StoredEntity]) -> Mutation:
        e = current["urn:c"]
        e.doc[PM25] = {"type": "Property", "value": e.doc[PM25]["value"] + 1}  # type: ignore[call-overload]
        return Mutation(upserts=[e])

    await asyncio.gather(*(store.mutate("default", ["urn:c"], increment, "t") for _ in range(20)))
    got = await store.get_entities("default", ["urn:c"])
    assert got["urn:c"].doc[PM25]["value"] == 20  # type: ignore[call-overload]


async def test_tenants_are_isolated(store: Store) -> None:
    await store.mutate("a", ["urn:x"], put(entity("urn:x")), "t")
    assert await store.get_entities("b", ["urn:x"]) == {}
    assert await store.tenant_exists("a")
    assert not await store.tenant_exists("b")


async def test_query_filters_and_paging(store: Store) -> None:
    entities = [
        entity(f"urn:ngsi-ld:AirQualityObserved:{i:03d}", pm25=float(i), lon=106.6 + i / 1000)
        for i in range(30)
    ]
    entities.append(entity("urn:ngsi-ld:Streetlight:1", types=[T + "Streetlight"]))
    await store.mutate("default", [e.id for e in entities], put(*entities), "t")

    page, total = await store.query_entities(
        "default", EntityQuery(types=(AQ,), limit=10, offset=5, count=True)
    )
    assert total == 30
    assert [e.id for e in page] == [f"urn:ngsi-ld:AirQualityObserved:{i:03d}" for i in range(5, 15)]

    by_pattern, _ = await store.query_entities(
        "default", EntityQuery(id_pattern=r".*:00[12]$", limit=None)
    )
    assert sorted(e.id for e in by_pattern) == [
        "urn:ngsi-ld:AirQualityObserved:001",
        "urn:ngsi-ld:AirQualityObserved:002",
    ]

    boxed, _ = await store.query_entities(
        "default", EntityQuery(types=(AQ,), bbox=(106.6045, 10.0, 106.6075, 11.5), limit=None)
    )
    assert sorted(e.id[-3:] for e in boxed) == ["005", "006", "007"]

    lights, _ = await store.query_entities("default", EntityQuery(attrs_any=(PM25,), limit=100))
    assert len(lights) == 30

    by_id, _ = await store.query_entities(
        "default", EntityQuery(ids=("urn:ngsi-ld:Streetlight:1",))
    )
    assert [e.types for e in by_id] == [[T + "Streetlight"]]


async def test_query_with_compiled_filter(store: Store) -> None:
    from cityioc.hub.qlang import parse_q, to_postgres, to_sqlite

    entities = [entity(f"urn:e:{i}", pm25=float(i)) for i in range(10)]
    await store.mutate("default", [e.id for e in entities], put(*entities), "t")
    compile_fn = to_sqlite if store.backend == "sqlite" else to_postgres
    sql, params = compile_fn(parse_q("pm25>=7"), lambda term: T + term, "e.doc")
    found, total = await store.query_entities(
        "default", EntityQuery(where=SqlFilter(sql, tuple(params)), limit=None, count=True)
    )
    assert sorted(e.id for e in found) == ["urn:e:7", "urn:e:8", "urn:e:9"]
    assert total == 3


def samples(
    entity_id: str, start: int, values: Sequence[object], step: int = 60_000
) -> list[Sample]:
    return [Sample(entity_id, PM25, start + i * step, v) for i, v in enumerate(values)]


async def write(store: Store, ss: list[Sample]) -> None:
    def decide(current: Mapping[str, StoredEntity]) -> Mutation:
        return Mutation(samples=ss)

    await store.mutate("default", [], decide, "t")


async def test_series_round_trip_and_ranges(store: Store) -> None:
    await write(store, samples("urn:s", 0, [1.5, 2.5, "text", {"a": [1, 2]}, True, 7]))
    key = SeriesKey("urn:s", PM25)
    got = (await store.read_series("default", [key], None, None))[key]
    assert got.times.tolist() == [0, 60_000, 120_000, 180_000, 240_000, 300_000]
    assert got.values == [1.5, 2.5, "text", {"a": [1, 2]}, True, 7]
    window = (await store.read_series("default", [key], 60_000, 180_000))[key]
    assert window.times.tolist() == [60_000, 120_000]
    last = (await store.read_series("default", [key], None, None, last_n=2))[key]
    assert last.times.tolist() == [240_000, 300_000]
    assert await store.series_of("default", "urn:s") == [key]


async def test_repeated_samples_are_stored_once(store: Store) -> None:
    batch = samples("urn:d", 0, [1.0, 2.0, 3.0])
    await write(store, batch)
    await write(store, batch)  # a redelivery
    await write(store, batch + batch)
    key = SeriesKey("urn:d", PM25)
    got = (await store.read_series("default", [key], None, None))[key]
    assert got.values == [1.0, 2.0, 3.0]
    rollup = await store.read_rollups("default", key, 3_600_000, None, None)
    assert rollup.n.tolist() == [3]
    assert rollup.sum.tolist() == [6.0]


async def test_a_corrected_value_replaces_and_rollups_follow(store: Store) -> None:
    await write(store, samples("urn:r", 0, [1.0, 2.0, 3.0]))
    await write(store, [Sample("urn:r", PM25, 60_000, 20.0)])
    key = SeriesKey("urn:r", PM25)
    assert (await store.read_series("default", [key], None, None))[key].values == [1.0, 20.0, 3.0]
    hour = await store.read_rollups("default", key, 3_600_000, None, None)
    assert (hour.n.tolist(), hour.sum.tolist(), hour.mx.tolist()) == ([3], [24.0], [20.0])


async def test_rollups_match_the_raw_samples(store: Store) -> None:
    rng = np.random.default_rng(7)
    values = [float(round(v, 1)) for v in rng.normal(40, 10, 500)]
    start = 1_764_000_000_000
    await write(store, samples("urn:g", start, values, step=37_000))
    # a second, late batch in the same buckets
    await write(store, samples("urn:g", start + 13_000, [100.0, -5.0], step=37_000 * 50))
    await assert_rollups_match_raw(store, SeriesKey("urn:g", PM25))


async def test_delete_series(store: Store) -> None:
    await write(store, samples("urn:x", 0, [1.0, 2.0]))
    assert await store.delete_series("default", "urn:x", None) == 2
    key = SeriesKey("urn:x", PM25)
    assert await store.read_series("default", [key], None, None) == {}
    await write(store, samples("urn:x", 0, [5.0]))  # the series starts again
    assert (await store.read_series("default", [key], None, None))[key].values == [5.0]


async def test_api_keys(store: Store) -> None:
    record = ApiKeyRecord("k1", "hash1", "operator", "duty desk", None, 5, "cli")
    await store.put_api_key(record)
    assert await store.find_api_key("hash1") == record
    assert await store.revoke_api_key("k1", 9)
    assert not await store.revoke_api_key("k1", 10)
    found = await store.find_api_key("hash1")
    assert found is not None and found.revoked_at == 9
    assert [k.key_id for k in await store.list_api_keys()] == ["k1"]


async def test_audit_is_written_with_the_change(store: Store) -> None:
    records = [AuditRecord(1, "key:1", "default", "create", "urn:a", {"why": "test"})]
    await store.mutate("default", ["urn:a"], put(entity("urn:a")), "key:1", records)
    trail = await store.audit_trail("default", "urn:a")
    assert [(r.actor, r.action, r.detail) for r in trail] == [("key:1", "create", {"why": "test"})]


async def test_discovery(store: Store) -> None:
    await store.mutate(
        "default",
        ["urn:a", "urn:b"],
        put(entity("urn:a", pm25=1), entity("urn:b", types=[T + "Streetlight"])),
        "t",
    )
    types = await store.entity_types("default")
    assert types == {AQ: sorted([LOCATION, PM25]), T + "Streetlight": [LOCATION]}
    assert await store.type_counts("default") == {AQ: 1, T + "Streetlight": 1}


async def test_compaction_stores_each_sample_once_with_repeats_and_late_data(store: Store) -> None:
    key = SeriesKey("urn:k", PM25)
    day = 86_400_000
    start = 1_764_000_000_000 // day * day
    first = samples("urn:k", start + day, [float(i % 17) for i in range(2500)], step=30_000)
    await write(store, first)
    await store.compact()
    await write(store, first[:100])  # a redelivery of compacted samples
    late = samples("urn:k", start + 3_000, [100.0, 200.0], step=60_000)  # a day earlier
    correction = [Sample("urn:k", PM25, first[10].t, -1.0)]
    newer = samples("urn:k", first[-1].t + 30_000, [5.0, 6.0], step=30_000)
    await write(store, late + correction + newer)
    await assert_rollups_match_raw(store, key)  # hot and compacted parts together
    await store.compact()
    await assert_rollups_match_raw(store, key)
    got = (await store.read_series("default", [key], None, None))[key]
    expected = [100.0, 200.0] + [s.value for s in first] + [5.0, 6.0]
    expected[2 + 10] = -1.0
    assert got.values == expected
    assert got.times.tolist() == sorted(set(got.times.tolist()))
    assert await store.series_extent("default", key) == (late[0].t, newer[-1].t)
    window = (await store.read_series("default", [key], first[1000].t, first[1100].t))[key]
    assert window.values == [s.value for s in first[1000:1100]]
    tail = (await store.read_series("default", [key], None, None, last_n=3))[key]
    assert tail.values == [first[-1].value, 5.0, 6.0]
    stats = await store.stats()
    assert stats.samples == len(expected)


async def test_json_values_survive_compaction(store: Store) -> None:
    key = SeriesKey("urn:j", PM25)
    values: list[object] = ["ok", "defectiveLamp", {"a": [1, None]}, True, 3.5, None]
    await write(store, samples("urn:j", 0, values))
    await store.compact()
    assert (await store.read_series("default", [key], None, None))[key].values == values

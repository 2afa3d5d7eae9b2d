"""Retention purges old raw samples and keeps the rollups that summarise them."""

from __future__ import annotations

from collections.abc import Mapping

from cityioc.core.clock import FakeClock
from cityioc.hub.models import Mutation, Sample, StoredEntity
from cityioc.hub.retention import DAY_MS, purge_once
from cityioc.store.port import SeriesKey, Store

ATTR = "https://uri.etsi.org/ngsi-ld/default-context/pm25"


async def test_old_samples_go_rollups_stay(store: Store, clock: FakeClock) -> None:
    now = clock.now_ms()
    old = [Sample("urn:a", ATTR, now - 40 * DAY_MS + i * 60_000, float(i)) for i in range(10)]
    new = [Sample("urn:a", ATTR, now - DAY_MS + i * 60_000, float(i)) for i in range(5)]

    def decide(current: Mapping[str, StoredEntity]) -> Mutation:
        return Mutation(samples=old + new)

    await store.mutate("default", [], decide, "test")
    assert await purge_once(store, clock, days=30) == 10
    key = SeriesKey("urn:a", ATTR)
    kept = (await store.read_series("default", [key], None, None))[key]
    assert kept.times.tolist() == [s.t for s in new]
    day = await store.read_rollups("default", key, DAY_MS, None, None)
    assert int(day.n.sum()) == 15  # the purged samples are still counted in the rollups

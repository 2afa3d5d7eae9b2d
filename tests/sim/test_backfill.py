"""Backfill stores exactly what it reports, through the bulk path, on both databases."""

from __future__ import annotations

import numpy as np

from cityioc.core.clock import FakeClock
from cityioc.hub.context import core_context
from cityioc.hub.service import Hub
from cityioc.sim.backfill import backfill
from cityioc.sim.engine import Engine
from cityioc.sim.fleet import Fleet, clone_entities
from cityioc.sim.models import ATTRIBUTES
from cityioc.sim.publishers import InProcessPublisher
from cityioc.sim.scenarios import plan
from cityioc.store.port import EntityQuery, SeriesKey, Store
from tests.sim.conftest import HOUR, MINUTE, local_ms
from tests.sim.fleet_data import normalized, small_fleet

DAY = 24 * HOUR


SIMULATED = {core_context().expand_term(a.name) for attrs in ATTRIBUTES.values() for a in attrs}


async def _stored(store: Store, tenant: str) -> int:
    """Samples of simulated attributes actually readable, series by series."""
    total = 0
    for entity in (await store.query_entities(tenant, EntityQuery(limit=None)))[0]:
        keys = [k for k in await store.series_of(tenant, entity.id) if k.attr in SIMULATED]
        found = await store.read_series(tenant, keys, None, None)
        total += sum(len(found[k].times) for k in keys)
    return total


async def test_backfill_stores_exactly_the_readings_it_reports(
    store: Store, clock: FakeClock
) -> None:
    hub = Hub(store, clock)
    publisher = InProcessPublisher(hub, "sim")
    await publisher.ensure_entities([normalized(e) for e in small_fleet()])
    fleet = Fleet.from_entities(small_fleet()).scaled(80, seed=1)
    await publisher.ensure_entities(clone_entities(fleet))
    before = await _stored(store, "sim")  # the lamps were created with a status
    engine = Engine(fleet, seed=1, interval_ms=30 * MINUTE)
    end = local_ms("2026-01-20 12:00")
    run = plan("heavy_rain", fleet, end - 5 * HOUR, seed=1)
    seen: list[tuple[int, int, int]] = []
    report = await backfill(
        engine,
        publisher,
        end - 2 * DAY,
        end,
        runs=[run],
        batch=2000,
        progress=lambda *p: seen.append(p),
    )
    assert report.accepted == report.generated > 2 * 24 * 2 * len(fleet)
    assert publisher.rejected == 0
    assert await _stored(store, "sim") == before + report.accepted
    assert seen[-1] == (2 * DAY, 2 * DAY, report.accepted) and len(seen) > 5
    clone = next(s for s in fleet.sensors if s.synthetic and s.type == "FloodMonitoring")
    stored = (await store.get_entities("sim", [clone.id]))[clone.id]
    core = core_context()
    assert stored.doc[core.expand_term("synthetic")]["value"] is True  # type: ignore[call-overload]
    assert "location" in core.compact_entity_keys({"id": "x", **stored.doc})
    level = stored.doc[core.expand_term("currentLevel")]
    assert level["unitCode"] == "MTR"  # type: ignore[call-overload]
    key = SeriesKey(clone.id, core.expand_term("currentLevel"))
    series = (await store.read_series("sim", [key], None, None))[key]
    assert np.all(np.diff(series.times) > 0) and series.times[-1] < end

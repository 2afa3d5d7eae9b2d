"""A rule engine on a real store (per backend), driven by hand: no background tasks, a FakeClock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from cityioc.alerts.engine import Engine
from cityioc.alerts.models import AlertView
from cityioc.alerts.names import ALERT
from cityioc.alerts.rule_store import RuleStore
from cityioc.alerts.service import Alerts
from cityioc.bus.events import ChangeEvent
from cityioc.core.clock import FakeClock, iso_ms
from cityioc.hub.context import core_context
from cityioc.hub.service import Hub
from cityioc.store.port import EntityQuery, Store

START = 1_780_000_000_000  # 2026-05-28T20:26:40Z
MINUTE = 60_000

ALERT_TEMPLATE = {
    "category": "naturalDisaster",
    "sub_category": "flood",
    "severity": "high",
    "cap": {"category": "Met", "severity": "Severe", "urgency": "Immediate"},
    "title": {
        "vi": "Ngập tại {name}: {currentLevel} m",
        "en": "Flooding at {name}: {currentLevel} m",
    },
}
FLOOD_RULE: dict[str, Any] = {
    "id": "flood",
    "kind": "threshold",
    "name": {"vi": "Ngập", "en": "Flood"},
    "scope": {"types": ["FloodMonitoring"]},
    "when": {"attribute": "currentLevel", "op": ">", "value": {"attribute": "alertLevel"}},
    "for": "10m",
    "clear": {"attribute": "currentLevel", "op": "<", "value": {"attribute": "alertLevel"}},
    "alert": ALERT_TEMPLATE,
}


@dataclass
class Rig:
    store: Store
    clock: FakeClock
    hub: Hub
    alerts: Alerts
    rules: RuleStore
    engine: Engine

    async def reading(self, eid: str, attr: str, value: Any, minutes: float = 0) -> None:
        """A reading observed now (``minutes`` from now), then everything evaluated."""
        at = self.clock.now_ms() + int(minutes * MINUTE)
        item = {"entity": eid, "attribute": attr, "value": value, "observedAt": iso_ms(at)}
        result = await self.hub.ingest_readings("default", [item], "test")
        assert not result.errors, result.errors
        await self.engine.idle()

    async def advance(self, minutes: float) -> None:
        self.clock.advance(minutes=minutes)
        await self.engine.tick()

    async def alerts_list(self, tenant: str = "default") -> list[AlertView]:
        found, _ = await self.store.query_entities(tenant, EntityQuery(types=(ALERT,), limit=1000))
        return sorted((AlertView(tenant, e) for e in found), key=lambda a: a.entity.created_at)

    async def restart(self) -> Engine:
        await self.engine.stop()
        self.engine = new_engine(self.alerts, self.rules, self.clock)
        await self.engine.start(background=False)
        return self.engine


def new_engine(alerts: Alerts, rules: RuleStore, clock: FakeClock) -> Engine:
    return Engine(alerts, rules, clock, repeat_ms=MINUTE, update_ms=0, persist_ms=0)


async def make_rig(store: Store, clock: FakeClock, rules: list[dict[str, Any]]) -> Rig:
    hub = Hub(store, clock)
    alerts = Alerts(hub, clock)
    rule_store = RuleStore(hub, clock)
    for rule in rules:
        await rule_store.create("default", rule, "test")
    rig = Rig(store, clock, hub, alerts, rule_store, new_engine(alerts, rule_store, clock))
    hub.on_change(lambda t, a, m: rig.engine.handle(ChangeEvent.of(t, a, m)))
    await rig.engine.start(background=False)
    return rig


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def engine_store(database_url: str, fake_clock: FakeClock) -> AsyncIterator[Store]:
    from cityioc.store.factory import make_store

    store = make_store(database_url, fake_clock)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


async def flood_station(hub: Hub, local: str, alert_level: float = 0.2, **extra: Any) -> str:
    eid = f"urn:ngsi-ld:FloodMonitoring:{local}"
    body: dict[str, Any] = {
        "id": eid,
        "type": "FloodMonitoring",
        "name": {"type": "Property", "value": f"Trạm {local}"},
        "areaServed": {"type": "Property", "value": "Thuận An"},
        "alertLevel": {"type": "Property", "value": alert_level, "unitCode": "MTR"},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [106.7, 10.9]},
        },
    }
    for name, value in extra.items():
        body[name] = {"type": "Property", "value": value}
    await hub.create("default", core_context().expand_entity_keys(body), "test")
    return eid

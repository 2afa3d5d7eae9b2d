"""Threshold rules: a duration before firing, a separate clear condition, one alert per episode,
repeats counted, state that survives a restart, no duplicates under concurrent writes."""

from __future__ import annotations

import asyncio

from cityioc.core.clock import FakeClock, iso_ms
from cityioc.store.port import Store
from tests.alerts.conftest import FLOOD_RULE, flood_station, make_rig


async def test_fires_after_the_duration_and_clears_below_the_clear_level(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    rig = await make_rig(engine_store, fake_clock, [FLOOD_RULE])
    station = await flood_station(rig.hub, "binh-hoa")
    await rig.reading(station, "currentLevel", 0.25)
    for _ in range(9):
        await rig.advance(1)
        await rig.reading(station, "currentLevel", 0.3)
    assert await rig.alerts_list() == []  # 9 minutes above: not yet
    await rig.advance(1)  # ten minutes: the tick fires it, no reading needed
    [alert] = await rig.alerts_list()
    assert alert.active and alert.source == station and alert.count == 1
    title = {"vi": "Ngập tại Trạm binh-hoa: 0,3 m", "en": "Flooding at Trạm binh-hoa: 0.3 m"}
    assert alert.title == title
    assert alert.get("firstSeen") == iso_ms(fake_clock.now_ms())
    assert alert.get("capSeverity") == "Severe" and alert.get("areaServed") == "Thuận An"
    assert alert.rule == "urn:ngsi-ld:AlertRule:flood"
    # Repeats while above: counted, written at most once a minute.
    for _ in range(3):
        await rig.advance(0.5)
        await rig.reading(station, "currentLevel", 0.3)
    await rig.advance(1)
    [alert] = await rig.alerts_list()
    assert alert.count == 4 and alert.title["en"] == "Flooding at Trạm binh-hoa: 0.3 m"
    # Equal to the level is not above it, but not below it either: still active (hysteresis).
    await rig.reading(station, "currentLevel", 0.2)
    assert (await rig.alerts_list())[0].active
    await rig.advance(1)
    await rig.reading(station, "currentLevel", 0.1)
    [alert] = await rig.alerts_list()
    assert alert.status == "cleared" and alert.get("clearedAt") == iso_ms(fake_clock.now_ms())
    trail = await rig.alerts.trail("default", alert.id)
    actions = [r.action for r in reversed(trail)]
    assert actions[0] == "alert-raise" and actions[-1] == "alert-clear"
    assert set(actions[1:-1]) == {"alert-repeat"}
    cleared_at = iso_ms(fake_clock.now_ms())
    assert trail[0].detail == {
        "before": {"status": "active", "clearedAt": None, "clearedBy": None},
        "after": {"status": "cleared", "clearedAt": cleared_at, "clearedBy": "alerts:engine"},
    }
    # A new episode is a new alert.
    await rig.reading(station, "currentLevel", 0.5)
    await rig.advance(10)
    alerts = await rig.alerts_list()
    assert [a.status for a in alerts] == ["cleared", "active"] and alerts[1].id != alerts[0].id


async def test_a_dip_before_the_duration_restarts_it(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    rig = await make_rig(engine_store, fake_clock, [FLOOD_RULE])
    station = await flood_station(rig.hub, "an-phu")
    await rig.reading(station, "currentLevel", 0.3)
    await rig.advance(8)
    await rig.reading(station, "currentLevel", 0.1)
    await rig.advance(1)
    await rig.reading(station, "currentLevel", 0.3)
    await rig.advance(9)
    assert await rig.alerts_list() == []
    await rig.advance(1)  # no reading needed: the tick sees ten minutes above
    assert len(await rig.alerts_list()) == 1


async def test_the_duration_survives_a_restart(engine_store: Store, fake_clock: FakeClock) -> None:
    rig = await make_rig(engine_store, fake_clock, [FLOOD_RULE])
    station = await flood_station(rig.hub, "di-an")
    await rig.reading(station, "currentLevel", 0.3)
    await rig.advance(6)
    await rig.restart()  # a new engine on the same database
    await rig.advance(4)
    [alert] = await rig.alerts_list()
    assert alert.get("firstSeen") == iso_ms(fake_clock.now_ms())
    await rig.restart()
    await rig.reading(station, "currentLevel", 0.0)
    [alert] = await rig.alerts_list()
    assert alert.status == "cleared"  # the restarted engine knew which alert was its


async def test_concurrent_writes_of_one_source_make_one_alert(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    rule = {**FLOOD_RULE, "for": "0s"}
    rig = await make_rig(engine_store, fake_clock, [rule])
    station = await flood_station(rig.hub, "vinh-phu")
    base = fake_clock.now_ms()

    async def one(i: int) -> None:
        item = {
            "entity": station,
            "attribute": "currentLevel",
            "value": 0.3 + i / 1000,
            "observedAt": iso_ms(base + i * 1000),
        }
        await rig.hub.ingest_readings("default", [item], "test")

    await asyncio.gather(*(one(i) for i in range(40)))
    await rig.engine.idle()
    await rig.advance(2)
    alerts = await rig.alerts_list()
    assert len(alerts) == 1 and alerts[0].active


async def test_two_engines_raising_at_once_meet_on_one_alert(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    """Two processes (two engines, one database) both see the flood: still one alert."""
    rule = {**FLOOD_RULE, "for": "0s"}
    rig = await make_rig(engine_store, fake_clock, [rule])
    station = await flood_station(rig.hub, "lai-thieu")
    await rig.reading(station, "currentLevel", 0.3)
    other = type(rig.engine)(rig.alerts, rig.rules, fake_clock)
    await other.start(background=False)
    entity = (await engine_store.get_entities("default", [station]))[station]
    from cityioc.bus.events import ChangeEvent

    other.handle(ChangeEvent("default", "test", [entity]))
    await other.idle()
    alerts = await rig.alerts_list()
    assert len(alerts) == 1 and alerts[0].count == 2

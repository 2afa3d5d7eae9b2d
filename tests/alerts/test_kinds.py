"""The other rule kinds: rate of change, missing data (per entity and per fleet), AQI category,
geofence, count within a radius, combinations, grouping by a relationship; and adopted alerts."""

from __future__ import annotations

from typing import Any

from cityioc.core.clock import FakeClock, iso_ms
from cityioc.hub.context import core_context
from cityioc.hub.service import Hub
from cityioc.store.port import Store
from tests.alerts.conftest import ALERT_TEMPLATE, FLOOD_RULE, flood_station, make_rig

NAME = {"vi": "Luật", "en": "Rule"}


def rule(rid: str, kind: str, types: list[str], **fields: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "kind": kind,
        "name": NAME,
        "scope": {"types": types},
        "alert": ALERT_TEMPLATE,
        **fields,
    }


async def entity(hub: Hub, kind: str, local: str, lon: float = 106.7, **attrs: Any) -> str:
    eid = f"urn:ngsi-ld:{kind}:{local}"
    body: dict[str, Any] = {
        "id": eid,
        "type": kind,
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, 10.9]}},
    }
    for name, value in attrs.items():
        if isinstance(value, dict) and "object" in value:
            body[name] = {"type": "Relationship", **value}
        else:
            body[name] = {"type": "Property", "value": value}
    await hub.create("default", core_context().expand_entity_keys(body), "test")
    return eid


async def test_rate_of_change(engine_store: Store, fake_clock: FakeClock) -> None:
    rising = rule("rising", "rate", ["FloodMonitoring"], attribute="currentLevel", op=">",
                  value=0.3, per="1h", clear_value=0.1)  # fmt: skip
    rig = await make_rig(engine_store, fake_clock, [rising])
    station = await flood_station(rig.hub, "st")
    await rig.reading(station, "currentLevel", 0.0)
    await rig.advance(10)
    await rig.reading(station, "currentLevel", 0.03)  # 0.18 m/h
    assert await rig.alerts_list() == []
    await rig.advance(10)
    await rig.reading(station, "currentLevel", 0.1)  # 0.42 m/h
    [alert] = await rig.alerts_list()
    assert alert.active
    await rig.advance(10)
    await rig.reading(station, "currentLevel", 0.13)  # 0.18 m/h: between clear and trigger
    assert (await rig.alerts_list())[0].active
    await rig.advance(10)
    await rig.reading(station, "currentLevel", 0.14)  # 0.06 m/h
    assert (await rig.alerts_list())[0].status == "cleared"


async def test_missing_data_per_entity(engine_store: Store, fake_clock: FakeClock) -> None:
    silent = rule("silent", "missing", ["WeatherObserved"], after="15m")
    rig = await make_rig(engine_store, fake_clock, [])
    quiet = await entity(rig.hub, "WeatherObserved", "never-reports")
    loud = await entity(rig.hub, "WeatherObserved", "reports")
    await rig.rules.create("default", silent, "test")  # the engine reads the fleet when it loads
    await rig.engine.idle()
    for _ in range(14):
        await rig.advance(1)
        await rig.reading(loud, "temperature", 30.0)
    assert await rig.alerts_list() == []
    await rig.advance(1)
    [alert] = await rig.alerts_list()
    assert alert.source == quiet and alert.active
    await rig.advance(5)
    await rig.reading(loud, "temperature", 30.0)
    await rig.restart()  # the silence goes on being measured after a restart
    await rig.advance(1)
    assert len(await rig.alerts_list()) == 1
    await rig.reading(quiet, "temperature", 29.0)  # data again: cleared
    [alert] = await rig.alerts_list()
    assert alert.status == "cleared"


async def test_missing_data_rules_share_the_last_seen_time_and_it_survives_a_restart(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    short = rule("silent-15", "missing", ["WeatherObserved"], after="15m")
    long = rule("silent-30", "missing", ["WeatherObserved"], after="30m")
    rig = await make_rig(engine_store, fake_clock, [])
    station = await entity(rig.hub, "WeatherObserved", "shared")
    await rig.rules.create("default", short, "test")
    await rig.rules.create("default", long, "test")
    await rig.engine.idle()
    for _ in range(3):  # readings move one shared time, not one state per rule
        await rig.advance(5)
        await rig.reading(station, "temperature", 30.0)
    memory = rig.engine.memory.of("default")
    last = fake_clock.now_ms()
    assert [t for (_, eid), t in memory.seen.items() if eid == station] == [last]
    await rig.restart()  # the shared time is persisted: the silence counts from the last reading
    await rig.advance(14)
    assert await rig.alerts_list() == []
    await rig.advance(1)
    [alert] = await rig.alerts_list()
    assert alert.rule is not None and alert.rule.endswith(":silent-15")
    await rig.advance(15)
    assert len(await rig.alerts_list()) == 2  # the 30-minute rule too, from the same time
    await rig.reading(station, "temperature", 29.0)  # data again: both cleared
    assert {a.status for a in await rig.alerts_list()} == {"cleared"}


async def test_missing_data_per_fleet(engine_store: Store, fake_clock: FakeClock) -> None:
    fleet = rule("fleet", "missing", ["WeatherObserved"], after="15m", fleet={"at_least": 2})
    rig = await make_rig(engine_store, fake_clock, [])
    ids = [await entity(rig.hub, "WeatherObserved", f"w{i}") for i in range(3)]
    await rig.rules.create("default", fleet, "test")
    await rig.engine.idle()
    await rig.reading(ids[0], "temperature", 30.0, minutes=10)
    await rig.advance(16)
    [alert] = await rig.alerts_list()
    assert alert.source == "fleet:WeatherObserved" and alert.get("affectedCount") == 2
    await rig.reading(ids[1], "temperature", 30.0)
    assert (await rig.alerts_list())[0].status == "cleared"


async def test_aqi_category_with_escalation(engine_store: Store, fake_clock: FakeClock) -> None:
    aqi = rule("aqi", "aqi", [], at_least="kem")
    title = {"vi": "{category_vi} {aqi}", "en": "{category_en} {aqi}"}
    aqi["alert"] = {**ALERT_TEMPLATE, "severity": "auto", "title": title}
    rig = await make_rig(engine_store, fake_clock, [aqi])
    station = await entity(rig.hub, "AirQualityObserved", "vsip")
    await rig.reading(station, "airQualityIndex", 90)
    assert await rig.alerts_list() == []
    await rig.reading(station, "airQualityIndex", 125, minutes=1)
    [alert] = await rig.alerts_list()
    assert alert.title == {"vi": "Kém 125", "en": "Poor 125"} and alert.severity == "medium"
    assert alert.get("healthAdviceSensitive")["vi"].startswith("Nên giảm các hoạt động mạnh")
    await rig.reading(station, "airQualityIndex", 171, minutes=2)
    await rig.advance(3)
    [alert] = await rig.alerts_list()
    assert alert.title["vi"] == "Xấu 171" and alert.severity == "high"
    assert alert.get("capSeverity") == "Severe" and alert.get("airQualityLevel") == "xau"
    await rig.reading(station, "airQualityIndex", 80, minutes=1)
    assert (await rig.alerts_list())[0].status == "cleared"


async def test_geofence_enter_and_leave(engine_store: Store, fake_clock: FakeClock) -> None:
    square = {"type": "Polygon", "coordinates": [[[106, 10], [107, 10], [107, 11], [106, 11],
                                                  [106, 10]]]}  # fmt: skip
    enter = rule("enter", "geofence", ["Vehicle"], trigger="enter", area=square)
    leave = rule("leave", "geofence", ["Vehicle"], trigger="leave",
                 area={"center": [106.5, 10.5], "radius_m": 1000})  # fmt: skip
    rig = await make_rig(engine_store, fake_clock, [enter, leave])
    truck = await entity(rig.hub, "Vehicle", "truck", lon=105.0)
    await rig.reading(truck, "location", {"type": "Point", "coordinates": [106.5, 10.5]}, 1)
    alerts = await rig.alerts_list()
    assert [a.rule for a in alerts] == ["urn:ngsi-ld:AlertRule:enter"]
    await rig.reading(truck, "location", {"type": "Point", "coordinates": [106.6, 10.6]}, 2)
    alerts = await rig.alerts_list()
    assert {a.rule: a.active for a in alerts} == {
        "urn:ngsi-ld:AlertRule:enter": True,
        "urn:ngsi-ld:AlertRule:leave": True,
    }
    await rig.reading(truck, "location", {"type": "Point", "coordinates": [108, 10.6]}, 3)
    assert {a.rule: a.active for a in await rig.alerts_list()} == {
        "urn:ngsi-ld:AlertRule:enter": False,
        "urn:ngsi-ld:AlertRule:leave": True,
    }


async def test_count_of_events_near_each_other(engine_store: Store, fake_clock: FakeClock) -> None:
    crashes = rule("crashes", "count", ["TrafficEvent"], at_least=3, within_m=500, window="30m",
                   when={"attribute": "eventKind", "op": "==", "value": "crash"})  # fmt: skip
    rig = await make_rig(engine_store, fake_clock, [crashes])
    await entity(rig.hub, "TrafficEvent", "a", lon=106.700, eventKind="crash")
    await entity(rig.hub, "TrafficEvent", "b", lon=106.702, eventKind="crash")
    await entity(rig.hub, "TrafficEvent", "far", lon=106.9, eventKind="crash")
    await entity(rig.hub, "TrafficEvent", "other", lon=106.701, eventKind="jam")
    await rig.engine.idle()
    assert await rig.alerts_list() == []
    await entity(rig.hub, "TrafficEvent", "c", lon=106.703, eventKind="crash")
    await rig.engine.idle()
    [alert] = await rig.alerts_list()
    assert str(alert.source).startswith("cluster:") and alert.get("affectedCount") == 3
    await entity(rig.hub, "TrafficEvent", "d", lon=106.701, eventKind="crash")
    await rig.engine.idle()
    await rig.advance(2)
    [alert] = await rig.alerts_list()
    assert alert.count == 2 and alert.get("affectedCount") == 4
    await rig.advance(31)
    assert (await rig.alerts_list())[0].status == "cleared"


async def test_combination_within_a_window(engine_store: Store, fake_clock: FakeClock) -> None:
    rain = rule("rain", "threshold", ["WeatherObserved"],
                when={"attribute": "precipitation", "op": ">", "value": 30})  # fmt: skip
    flood = {**FLOOD_RULE, "for": "0s"}
    both = rule("rain-and-flood", "combination", [], rules=["rain", "flood"], window="30m")
    rig = await make_rig(engine_store, fake_clock, [rain, flood, both])
    gauge = await entity(rig.hub, "WeatherObserved", "gauge", areaServed="Thuận An")
    station = await flood_station(rig.hub, "st")
    await rig.reading(gauge, "precipitation", 45.0)
    await rig.advance(20)
    await rig.reading(station, "currentLevel", 0.5)
    combined = [a for a in await rig.alerts_list() if str(a.rule).endswith("rain-and-flood")]
    assert len(combined) == 1 and combined[0].source == "area:Thuận An"
    await rig.reading(station, "currentLevel", 0.0, minutes=1)
    await rig.reading(gauge, "precipitation", 0.0, minutes=1)
    await rig.advance(31)
    combined = [a for a in await rig.alerts_list() if str(a.rule).endswith("rain-and-flood")]
    assert combined[0].status == "cleared"


async def test_fourteen_dark_lamps_make_one_alert_for_their_segment(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    dark = rule("dark", "threshold", ["Streetlight"],
                when={"attribute": "status", "op": "==", "value": "defectiveLamp"},
                group={"by": "refStreetlightGroup", "at_least": 10, "clear_below": 5})  # fmt: skip
    dark["alert"] = {**ALERT_TEMPLATE, "title": {"vi": "{count} đèn hỏng: {name}",
                                                 "en": "{count} lamps out: {name}"}}  # fmt: skip
    rig = await make_rig(engine_store, fake_clock, [dark])
    segment = "urn:ngsi-ld:StreetlightGroup:mptv-07"
    await entity(rig.hub, "StreetlightGroup", "mptv-07", name="Mỹ Phước – Tân Vạn, đoạn 07")
    lamps = [
        await entity(
            rig.hub,
            "Streetlight",
            f"l{i:02d}",
            status="ok",
            refStreetlightGroup={"object": segment},
        )
        for i in range(16)
    ]
    for lamp in lamps[:14]:
        await rig.reading(lamp, "status", "defectiveLamp", minutes=1)
    await rig.advance(1)
    [alert] = await rig.alerts_list()
    assert alert.source == segment and alert.get("affectedCount") == 14
    assert alert.title == {"vi": "14 đèn hỏng: Mỹ Phước – Tân Vạn, đoạn 07",
                           "en": "14 lamps out: Mỹ Phước – Tân Vạn, đoạn 07"}  # fmt: skip
    assert sorted(alert.get("affectedEntities")) == sorted(lamps[:14])
    for lamp in lamps[:9]:
        await rig.reading(lamp, "status", "ok", minutes=2)
    assert (await rig.alerts_list())[0].active  # 5 left: not below 5
    await rig.reading(lamps[9], "status", "ok", minutes=2)
    [alert] = await rig.alerts_list()
    assert alert.status == "cleared"


async def test_alerts_posted_by_other_systems_are_adopted_and_deduplicated(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    rig = await make_rig(engine_store, fake_clock, [])

    async def posted(local: str) -> str:
        return await entity(
            rig.hub, "Alert", local, category="security", subCategory="carAccident",
            alertSource="urn:ngsi-ld:Camera:bd-13", dateIssued=iso_ms(fake_clock.now_ms()),
            description="Va chạm tại nút giao",
        )  # fmt: skip

    first = await posted("cam-1")
    await rig.engine.idle()
    [alert] = await rig.alerts_list()
    assert alert.id == first and alert.active and alert.count == 1 and alert.severity == "medium"
    fake_clock.advance(minutes=2)
    await posted("cam-2")
    await rig.engine.idle()
    [alert] = await rig.alerts_list()
    assert alert.id == first and alert.count == 2
    assert alert.get("lastSeen") == iso_ms(fake_clock.now_ms())
    trail = await rig.alerts.trail("default", first)
    assert trail[0].action == "alert-merge" and trail[0].detail is not None
    assert trail[0].detail["merged"]["id"].endswith("cam-2")
    await rig.alerts.clear("default", first, "key:op")
    await posted("cam-3")
    await rig.engine.idle()
    alerts = await rig.alerts_list()
    assert [a.status for a in alerts] == ["cleared", "active"]

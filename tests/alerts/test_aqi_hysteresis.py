"""The AQI rule's hysteresis, with the Bình Dương pack's own rule (``for`` before it fires,
``clear_below``/``clear_for`` before it clears): a station hovering at VN_AQI 100/101 raises one
alert and does not flap; a real drop clears once it has lasted; pending durations survive a
restart."""

from __future__ import annotations

from typing import Any

import pytest

from cityioc.alerts.rules.model import AqiRule, rule_document
from cityioc.core.clock import FakeClock, iso_ms
from cityioc.hub.context import core_context
from cityioc.hub.service import Hub
from cityioc.packs import validate_pack
from cityioc.store.port import Store
from tests.alerts.conftest import MINUTE, Rig, make_rig

RULE_ID = "air-quality-poor"


def pack_rule() -> dict[str, Any]:
    """The pack's AQI rule as its document."""
    found = [r for r in validate_pack("binh-duong").section("rules") or [] if r.id == RULE_ID]
    assert len(found) == 1 and isinstance(found[0], AqiRule)
    return rule_document(found[0])


def test_the_pack_rule_has_hysteresis() -> None:
    rule = pack_rule()
    assert (rule["at_least"], rule["clear_below"]) == ("kem", "kem")
    assert (rule["for"], rule["clear_for"]) == ("20m", "1h")


async def station(hub: Hub, local: str) -> str:
    eid = f"urn:ngsi-ld:AirQualityObserved:{local}"
    body = {
        "id": eid,
        "type": "AirQualityObserved",
        "name": {"type": "Property", "value": f"Trạm {local}"},
        "areaServed": {"type": "Property", "value": "Thuận An"},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [106.7, 10.92]},
        },
    }
    await hub.create("default", core_context().expand_entity_keys(body), "test")
    return eid


async def every_5_minutes(rig: Rig, eid: str, values: list[int]) -> None:
    """The AQI job's rhythm: a new hourly index every 5 minutes."""
    for value in values:
        await rig.advance(5)
        await rig.reading(eid, "airQualityIndex", value)


async def test_hovering_at_the_boundary_raises_once_and_does_not_flap(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    rig = await make_rig(engine_store, fake_clock, [pack_rule()])
    vsip = await station(rig.hub, "vsip")
    await rig.reading(vsip, "airQualityIndex", 95)
    await every_5_minutes(rig, vsip, [101, 103, 102])
    assert await rig.alerts_list() == []  # 10 minutes in Kém: not yet
    await every_5_minutes(rig, vsip, [104])
    await rig.advance(5)  # 20 minutes in Kém: the tick raises it, with the last index
    [alert] = await rig.alerts_list()
    assert alert.active and alert.get("airQualityLevel") == "kem"
    assert alert.title["vi"] == "Không khí Kém tại Trạm vsip (VN_AQI 104)"
    raised_at = alert.get("firstSeen")
    # All night at the boundary: below Kém never lasts an hour, so the alert stays as it is.
    await every_5_minutes(rig, vsip, [100, 101] * 36)  # six hours
    await rig.advance(1)
    alerts = await rig.alerts_list()
    assert len(alerts) == 1 and alerts[0].active and alerts[0].get("firstSeen") == raised_at
    trail = [r.action for r in await rig.alerts.trail("default", alerts[0].id)]
    assert "alert-clear" not in trail and trail.count("alert-raise") == 1
    # It stayed a Kém alert: the dips below (still Trung bình) did not move its category.
    assert "alert-update" not in trail and alerts[0].get("airQualityLevel") == "kem"


async def test_a_real_drop_clears_once_it_has_lasted_the_clear_duration(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    rig = await make_rig(engine_store, fake_clock, [pack_rule()])
    dian = await station(rig.hub, "di-an")
    await rig.reading(dian, "airQualityIndex", 130)
    await every_5_minutes(rig, dian, [135] * 4)
    [alert] = await rig.alerts_list()
    assert alert.active
    # Fifty minutes below, then back up: not a real drop.
    await every_5_minutes(rig, dian, [80] * 10 + [120])
    assert (await rig.alerts_list())[0].active
    # A real drop: an hour below Kém clears it — not at 59 minutes, at 60 (the tick, no reading).
    await every_5_minutes(rig, dian, [70] * 11)
    dropped_at = fake_clock.now_ms() - 50 * MINUTE
    await rig.advance(9)
    assert (await rig.alerts_list())[0].active
    await rig.advance(1)
    [alert] = await rig.alerts_list()
    assert alert.status == "cleared"
    assert alert.get("clearedAt") == iso_ms(dropped_at + 60 * MINUTE)


@pytest.mark.parametrize("restart_after_minutes", [5, 15])
async def test_pending_fire_and_pending_clear_survive_a_restart(
    engine_store: Store, fake_clock: FakeClock, restart_after_minutes: int
) -> None:
    rig = await make_rig(engine_store, fake_clock, [pack_rule()])
    tdm = await station(rig.hub, "tdm")
    await rig.reading(tdm, "airQualityIndex", 160)
    await rig.advance(restart_after_minutes)
    await rig.restart()  # a new engine on the same database
    await rig.advance(20 - restart_after_minutes)  # the tick fires it: no reading needed
    [alert] = await rig.alerts_list()
    assert alert.active and alert.get("airQualityLevel") == "xau" and alert.severity == "high"
    assert alert.title["en"] == "Air quality Bad at Trạm tdm (VN_AQI 160)"
    assert alert.get("firstSeen") == iso_ms(fake_clock.now_ms())
    # The drop, a restart half-way through the clear duration, and the clear on time.
    await rig.reading(tdm, "airQualityIndex", 60)
    dropped_at = fake_clock.now_ms()
    await rig.advance(30)
    await rig.restart()
    await rig.advance(29)
    assert (await rig.alerts_list())[0].active
    await rig.advance(1)
    [alert] = await rig.alerts_list()
    assert alert.status == "cleared" and alert.get("clearedAt") == iso_ms(dropped_at + 60 * MINUTE)

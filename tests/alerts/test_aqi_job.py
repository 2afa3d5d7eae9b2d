"""The AQI job reads hourly rollups and writes each station's index, category, colour, dominant
pollutant, US EPA index and (for yesterday) the daily index — and an AQI rule alerts on it."""

from __future__ import annotations

from cityioc.alerts.aqi import epa_aqi, nowcast, vn_sub_index
from cityioc.alerts.aqi_job import AqiJob
from cityioc.core.clock import FakeClock, iso_ms, parse_datetime_ms
from cityioc.hub.context import core_context
from cityioc.store.port import Store
from tests.alerts.conftest import ALERT_TEMPLATE, make_rig

STATION = "urn:ngsi-ld:AirQualityObserved:vsip"
HOUR = 3_600_000


async def test_indices_are_computed_from_hourly_means_and_written(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    poor = {
        "id": "aqi",
        "kind": "aqi",
        "name": {"vi": "AQI", "en": "AQI"},
        "at_least": "kem",
        "alert": {**ALERT_TEMPLATE, "severity": "auto"},
    }
    rig = await make_rig(engine_store, fake_clock, [poor])
    today = parse_datetime_ms("2026-01-15T00:00:00+07:00")
    fake_clock._now = today + 10 * HOUR + 30 * 60_000  # 10:30 local
    readings = []
    for t in range(today - 24 * HOUR, fake_clock.now_ms(), 15 * 60_000):
        pm25 = 30.0 if t < today else 65.0
        readings += [
            {"entity": STATION, "attribute": "pm25", "value": pm25, "observedAt": iso_ms(t),
             "type": "AirQualityObserved"},
            {"entity": STATION, "attribute": "no2", "value": 40.0, "observedAt": iso_ms(t)},
        ]  # fmt: skip
    assert not (await rig.hub.ingest_readings("default", readings, "test")).errors
    await rig.engine.idle()
    job = AqiJob(rig.hub, fake_clock, rig.engine.memory.known_tenants)
    assert await job.run_once("default") == 1
    station = (await engine_store.get_entities("default", [STATION]))[STATION]
    core = core_context()

    def attr(name: str) -> dict[str, object]:
        found = station.doc[core.expand_term(name)]
        assert isinstance(found, dict)
        return found

    hours = [65.0] * 11 + [30.0]
    expected = round(vn_sub_index("pm25", nowcast(hours) or 0) or 0)
    assert attr("airQualityIndex")["value"] == expected == 125
    assert attr("airQualityIndex")["observedAt"] == iso_ms(fake_clock.now_ms() - 15 * 60_000)
    assert attr("airQualityLevel")["value"] == "kem"
    assert attr("airQualityColor")["value"] == "#FF7E00"
    assert attr("dominantPollutant")["value"] == "pm25"
    us = epa_aqi(pm25=nowcast(hours), no2_1h=40.0 * 24.45 / 46.01)
    assert us is not None and attr("airQualityIndexUS")["value"] == us.value
    assert attr("airQualityLevelUS")["value"] == "unhealthy"
    assert attr("airQualityIndexDaily") == {
        "type": "Property",
        "value": 60,  # yesterday's mean of 30 µg/m³
        "observedAt": iso_ms(today - 24 * HOUR),
    }
    assert await job.run_once("default") == 0  # nothing new: nothing written
    await rig.engine.idle()
    [alert] = await rig.alerts_list()
    assert alert.get("airQualityLevel") == "kem" and alert.severity == "medium"


async def test_a_day_with_too_few_hours_gets_no_daily_index(
    engine_store: Store, fake_clock: FakeClock
) -> None:
    """Yesterday one station reported 18 hours (75 %), another 17: only the first gets its daily
    VN_AQI; today both have their hourly index."""
    rig = await make_rig(engine_store, fake_clock, [])
    today = parse_datetime_ms("2026-01-15T00:00:00+07:00")
    fake_clock._now = today + 2 * HOUR + 10 * 60_000  # 02:10 local
    complete, short = STATION, "urn:ngsi-ld:AirQualityObserved:short"
    readings = []
    for eid, silent_hours in ((complete, 6), (short, 7)):
        start = today - 24 * HOUR + silent_hours * HOUR  # silent from midnight, then every 15 min
        for t in range(start, fake_clock.now_ms(), 15 * 60_000):
            readings.append(
                {"entity": eid, "attribute": "pm25", "value": 40.0, "observedAt": iso_ms(t),
                 "type": "AirQualityObserved"}
            )  # fmt: skip
    assert not (await rig.hub.ingest_readings("default", readings, "test")).errors
    job = AqiJob(rig.hub, fake_clock, rig.engine.memory.known_tenants)
    assert await job.run_once("default") == 2
    found = await engine_store.get_entities("default", [complete, short])
    core = core_context()
    daily, hourly = core.expand_term("airQualityIndexDaily"), core.expand_term("airQualityIndex")
    assert found[complete].doc[daily] == {
        "type": "Property",
        "value": 80,  # the mean of 18 hours of 40 µg/m³
        "observedAt": iso_ms(today - 24 * HOUR),
    }
    assert daily not in found[short].doc
    assert hourly in found[short].doc and hourly in found[complete].doc

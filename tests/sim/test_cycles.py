"""Sensors behave like sensors: daily cycles in local time, the tide, short and rare gaps."""

from __future__ import annotations

import numpy as np
import pytest

from cityioc.sim.engine import Engine, Observed
from cityioc.sim.fleet import Fleet
from tests.sim.conftest import HOUR, MINUTE, local_ms

MONDAY = local_ms("2026-01-12 00:00")  # a dry-season week, Monday to Sunday


def _of(observed: list[Observed], kind: str) -> Observed:
    return next(o for o in observed if o.group.type == kind)


def _local_hour(t: np.ndarray) -> np.ndarray:
    return (t + 7 * HOUR) % (24 * HOUR) // HOUR


def _hourly(o: Observed, attr: str) -> np.ndarray:
    hours = _local_hour(o.t)
    values = o.values[attr].astype(np.float64)
    return np.array([values[hours == h].mean() for h in range(24)])


@pytest.fixture(scope="module")
def week() -> list[Observed]:
    from tests.sim.fleet_data import small_fleet

    engine = Engine(Fleet.from_entities(small_fleet()), seed=11, interval_ms=5 * MINUTE)
    return engine.observe(MONDAY, MONDAY + 5 * 24 * HOUR)  # five weekdays


def test_traffic_peaks_near_seven_and_seventeen_local(week: list[Observed]) -> None:
    traffic = _of(week, "TrafficFlowObserved")
    intensity = _hourly(traffic, "intensity")
    assert 6 + int(np.argmax(intensity[6:12])) == 7
    assert 12 + int(np.argmax(intensity[12:21])) == 17
    assert intensity[7] > 4 * intensity[3] and intensity[17] > 4 * intensity[3]
    speed = _hourly(traffic, "averageVehicleSpeed")
    assert speed[7] < speed[3] and speed[17] < speed[12]  # slower in the rush hours
    assert not traffic.values["congested"].any()  # jams are the traffic_jam scenario's job


def test_pm25_is_worse_at_night_than_in_the_afternoon(week: list[Observed]) -> None:
    aq = _of(week, "AirQualityObserved")
    hours = _local_hour(aq.t)
    for i in range(len(aq.group)):
        own = aq.idx == i
        pm = aq.values["pm25"][own]
        night = pm[(hours[own] >= 0) & (hours[own] < 5)].mean()
        afternoon = pm[(hours[own] >= 13) & (hours[own] < 17)].mean()
        assert night > 1.3 * afternoon, aq.group.sensors[i].id
    industrial = aq.group.tags["industrial"][aq.idx]
    rural = aq.group.tags["rural"][aq.idx]
    assert aq.values["pm25"][industrial].mean() > 1.3 * aq.values["pm25"][rural].mean()


def test_temperature_peaks_in_the_afternoon_and_humidity_at_dawn(week: list[Observed]) -> None:
    weather = _of(week, "WeatherObserved")
    temperature = _hourly(weather, "temperature")
    assert 12 <= int(np.argmax(temperature)) <= 15 and 4 <= int(np.argmin(temperature)) <= 6
    assert temperature.min() > 21 and temperature.max() < 36
    humidity = _hourly(weather, "relativeHumidity")
    assert humidity[5] > humidity[14] and humidity.min() > 0 and humidity.max() <= 1


def test_streetlights_light_the_night_and_dim_after_midnight(week: list[Observed]) -> None:
    lamps = _of(week, "Streetlight")
    hours = _local_hour(lamps.t)
    power = lamps.values["powerState"]
    ok = lamps.values["status"] == 0
    assert (power[(hours == 12)] == 1).all()  # off at noon
    assert (power[(hours == 20) & ok] == 0).all()  # on in the evening
    assert (power[(hours == 2) & ok] == 2).all()  # dimmed ("low") in the small hours
    assert (lamps.values["powerConsumption"][hours == 20] > 50).mean() > 0.9


def test_the_river_follows_the_tide_and_its_flow_reverses(week: list[Observed]) -> None:
    water = _of(week, "WaterObserved")
    river = water.group.tags["riverside"][water.idx]
    level, flow = water.values["waterLevel"][river], water.values["flow"][river]
    assert level.max() - level.min() > 1.2  # a tidal range, not noise
    assert flow.min() < 0 < flow.max()  # the flood tide pushes the river upstream
    rising = np.diff(level) > 0.01
    assert flow[1:][rising].mean() < flow[1:][~rising].mean()


def test_gaps_are_rare_and_too_short_to_look_like_an_outage(fleet: Fleet) -> None:
    interval = MINUTE
    engine = Engine(fleet, seed=2, interval_ms=interval)
    span = 3 * 24 * HOUR
    observed = engine.observe(MONDAY, MONDAY + span)
    expected = sum(len(o.group) * span // engine.steps[o.group.type] for o in observed)
    reports = sum(len(o.t) for o in observed)
    assert 0.002 < 1 - reports / expected < 0.02
    longest = 0
    for o in observed:
        assert engine.steps[o.group.type] == (4 if o.group.type == "Streetlight" else 1) * interval
        for i in range(len(o.group)):
            times = np.sort(o.t[o.idx == i])
            longest = max(longest, int(np.diff(times).max()))
    assert 2 * interval < longest < 15 * MINUTE

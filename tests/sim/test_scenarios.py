"""Each scenario crosses the thresholds the operations centre watches, and clears afterwards."""

from __future__ import annotations

import numpy as np
import pytest

from cityioc.core.errors import BadRequestData, ResourceNotFound
from cityioc.sim.engine import Engine, Observed
from cityioc.sim.fleet import Fleet
from cityioc.sim.scenarios import CATALOGUE, ScenarioRun, plan
from tests.sim.conftest import HOUR, MINUTE, local_ms

# VN_AQI PM2.5 breakpoints (Decision 1459/QĐ-TCMT): concentration → index.
PM25_BP = [0, 25, 50, 80, 150, 250, 350, 500]
INDEX = [0, 50, 100, 150, 200, 300, 400, 500]


def _of(observed: list[Observed], kind: str) -> Observed:
    return next(o for o in observed if o.group.type == kind)


def _series(o: Observed, sensor_id: str, attr: str) -> tuple[np.ndarray, np.ndarray]:
    mine = o.idx == o.group.ids.index(sensor_id)
    return o.t[mine], o.values[attr][mine]


def _same_after(engine: Engine, run: ScenarioRun, hours: float) -> None:
    """After the run its sensors report exactly what they would have without it."""
    end = run.end_ms
    assert engine.readings(end, end + int(hours * HOUR), [run]) == engine.readings(
        end, end + int(hours * HOUR)
    )


def vn_aqi_pm25(concentration: float) -> float:
    for i in range(len(PM25_BP) - 1):
        if concentration <= PM25_BP[i + 1]:
            span = (INDEX[i + 1] - INDEX[i]) / (PM25_BP[i + 1] - PM25_BP[i])
            return span * (concentration - PM25_BP[i]) + INDEX[i]
    return 500.0


def nowcast(hourly: list[float]) -> float:
    """NowCast of the last 12 hourly means, most recent last."""
    c = hourly[::-1][:12]
    w = max(min(c) / max(c), 0.5)
    weights = [w**i for i in range(len(c))]
    return sum(x * k for x, k in zip(c, weights, strict=True)) / sum(weights)


def test_heavy_rain_floods_the_low_points_for_over_ten_minutes_then_recedes(fleet: Fleet) -> None:
    start = local_ms("2026-08-20 17:05")
    run = plan("heavy_rain", fleet, start, seed=1)
    engine = Engine(fleet, seed=1, interval_ms=MINUTE)
    observed = engine.observe(start - HOUR, run.end_ms + 2 * HOUR, [run])
    floods = _of(observed, "FloodMonitoring")
    low = [s for s in floods.group.sensors if "lowLying" in s.tags]
    above_by_1720 = 0
    for sensor in low:
        assert sensor.levels is not None
        alert = sensor.levels[1]
        t, level = _series(floods, sensor.id, "currentLevel")
        above = level > alert
        assert not above[t < start].any()
        assert not above[t >= run.end_ms].any()  # back below the alert level by 19:10
        during = above[(t >= start) & (t < run.end_ms)]
        longest = max(len(r) for r in "".join("1" if a else "0" for a in during).split("0"))
        assert longest >= 45, sensor.id  # minutes above the alert level, in one stretch
        above_by_1720 += bool(above[(t >= start) & (t <= start + 20 * MINUTE)].any())
    assert above_by_1720 >= 2
    others = [s for s in floods.group.sensors if "lowLying" not in s.tags]
    for sensor in others:
        assert sensor.levels is not None
        assert (_series(floods, sensor.id, "currentLevel")[1] < sensor.levels[1]).all()
    weather = _of(observed, "WeatherObserved")
    rain = weather.values["precipitation"][(weather.t > start) & (weather.t < run.end_ms)]
    assert rain.max() > 30  # millimetres in the last hour: a downpour
    _same_after(engine, run, 3)


def test_pollution_episode_puts_three_industrial_stations_in_kem_and_one_in_xau(
    fleet: Fleet,
) -> None:
    start = local_ms("2026-01-15 22:00")
    run = plan("pollution_episode", fleet, start, seed=1)
    engine = Engine(fleet, seed=1, interval_ms=MINUTE)
    first = start - 12 * HOUR
    aq = _of(engine.observe(first, run.end_ms + 12 * HOUR, [run]), "AirQualityObserved")
    worst_of: dict[str, float] = {}
    after: dict[str, float] = {}
    for sensor in aq.group.sensors:
        t, pm = _series(aq, sensor.id, "pm25")
        hours = (t - first) // HOUR
        hourly = [float(pm[hours == h].mean()) for h in range(int(hours.max()) + 1)]
        indices = [vn_aqi_pm25(nowcast(hourly[: h + 1])) for h in range(len(hourly))]
        episode_end = (run.end_ms - first) // HOUR
        worst_of[sensor.id] = max(indices[: episode_end + 1])
        after[sensor.id] = indices[-1]
        before = indices[11]  # 22:00, when the episode starts
        assert before <= 100, sensor.id
    industrial = [s.id for s in aq.group.sensors if "industrial" in s.tags]
    assert set(run.sensors) == set(industrial)
    categories = sorted(
        "Xấu" if worst_of[i] > 150 else "Kém" if worst_of[i] > 100 else "≤ Trung bình"
        for i in industrial
    )
    assert categories == ["Kém", "Kém", "Kém", "Xấu", "≤ Trung bình", "≤ Trung bình"]
    assert all(worst_of[i] <= 200 for i in industrial)
    assert all(worst_of[s.id] <= 100 for s in aq.group.sensors if s.id not in industrial)
    assert all(index <= 100 for index in after.values())  # the air cleared by the evening


def test_an_outage_silences_exactly_one_sensor_for_its_duration(fleet: Fleet) -> None:
    start = local_ms("2026-01-14 08:00")
    run = plan("sensor_outage", fleet, start, seed=1)
    assert run.sensors == ("urn:ngsi-ld:WeatherObserved:wx-dian",)  # a weather station
    engine = Engine(fleet, seed=1, interval_ms=MINUTE)
    readings = engine.readings(start - HOUR, run.end_ms + HOUR, [run])
    silent = "urn:ngsi-ld:WeatherObserved:wx-dian"
    times = sorted({r["observedAt"] for r in readings if r["entity"] == silent})
    from cityioc.core.clock import parse_datetime_ms

    ms = [parse_datetime_ms(t) for t in times]
    assert not [t for t in ms if start <= t < run.end_ms]
    assert [t for t in ms if t < start] and [t for t in ms if t >= run.end_ms]
    others = {
        r["entity"] for r in readings if start <= parse_datetime_ms(r["observedAt"]) < run.end_ms
    }
    assert len(others) == len(fleet) - 1
    target = plan("sensor_outage", fleet, start, 30 * MINUTE, target="fl-dian", seed=1)
    assert target.sensors == ("urn:ngsi-ld:FloodMonitoring:fl-dian",)


def test_streetlight_faults_darken_fourteen_lamps_in_a_row_on_my_phuoc_tan_van(
    fleet: Fleet,
) -> None:
    start = local_ms("2026-01-14 18:30")
    run = plan("streetlight_faults", fleet, start, seed=1)
    engine = Engine(fleet, seed=1, interval_ms=MINUTE)
    lamps = _of(engine.observe(start, run.end_ms, [run]), "Streetlight")
    touched = [fleet[i] for i in run.sensors]
    assert {s.group for s in touched} == {"mptv-07"} and len(touched) >= 14
    assert all("myPhuocTanVan" in s.tags for s in touched)
    numbers = sorted(int(s.id.rsplit("-", 1)[1]) for s in touched)
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))  # consecutive
    for sensor in touched:
        _, status = _series(lamps, sensor.id, "status")
        _, light = _series(lamps, sensor.id, "illuminanceLevel")
        assert len(status) and (status == 1).all() and (light == 0).all()  # 1: defectiveLamp
    other = lamps.group.tags["boulevard"][lamps.idx]
    assert (lamps.values["illuminanceLevel"][other] > 0).mean() > 0.9  # the rest still shine
    _same_after(engine, run, 2)


def test_a_traffic_jam_congests_one_segment_and_then_clears(fleet: Fleet) -> None:
    start = local_ms("2026-01-14 10:00")
    run = plan("traffic_jam", fleet, start, seed=1)
    assert {fleet[i].group for i in run.sensors} == {"seg-bd13-a"}  # the boulevard segment
    engine = Engine(fleet, seed=1, interval_ms=MINUTE)
    traffic = _of(engine.observe(start, run.end_ms + HOUR, [run]), "TrafficFlowObserved")
    for sensor in run.sensors:
        t, congested = _series(traffic, sensor, "congested")
        _, speed = _series(traffic, sensor, "averageVehicleSpeed")
        plateau = (t >= start + 12 * MINUTE) & (t < run.end_ms - 12 * MINUTE)
        assert congested[plateau].all() and (speed[plateau] < 15).all()
        assert not congested[t >= run.end_ms].any()
    elsewhere = ~np.isin(np.array(traffic.group.ids)[traffic.idx], run.sensors)
    assert not traffic.values["congested"][elsewhere].any()
    _same_after(engine, run, 1)


def test_scenarios_are_named_planned_and_refused_with_reasons(fleet: Fleet) -> None:
    assert set(CATALOGUE) == {
        "heavy_rain",
        "pollution_episode",
        "sensor_outage",
        "streetlight_faults",
        "traffic_jam",
    }
    run = plan("Heavy-Rain", fleet, 0, 10 * MINUTE, area="thuan an")
    assert run.name == "heavy_rain" and run.end_ms == 10 * MINUTE
    assert all(fleet[s].area == "Thuận An" for s in run.sensors)
    with pytest.raises(ResourceNotFound):
        plan("earthquake", fleet, 0)
    with pytest.raises(BadRequestData):
        plan("traffic_jam", fleet, 0, -5)
    with pytest.raises(BadRequestData, match="touches no sensor"):
        plan("pollution_episode", fleet, 0, area="Hà Nội")

"""Behaviour models: the attribute values of a batch of observations of one sensor type.

Each model is a pure function of the observations (which sensor, when) and the seed; it returns
unrounded arrays that scenarios may still change, and ``ATTRIBUTES`` says how each one is
published (Smart Data Models name, UN/CEFACT unit code, rounding). Levels are illustrative, shaped
after what the province's sensors see: PM2.5 worse at night and in the rush hours, traffic peaks at
07:00 and 17:00, afternoon showers in the rainy season, a mixed semi-diurnal tide on the river.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np

from cityioc.sim import climate
from cityioc.sim.climate import DAY, HOUR, Air, When, bump
from cityioc.sim.fleet import TypeGroup
from cityioc.sim.noise import normal, smooth, uniform

Kind = Literal["float", "int", "bool", "code"]
Values = dict[str, np.ndarray]


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    unit: str | None = None  # UN/CEFACT common code
    decimals: int = 1
    kind: Kind = "float"
    codes: tuple[str, ...] = ()  # the text of each code (kind "code")


STREETLIGHT_STATUS = ("ok", "defectiveLamp", "columnIssue", "brokenLantern")
POWER_STATE = ("on", "off", "low", "bootingUp")
OK, DEFECTIVE, COLUMN_ISSUE, BROKEN_LANTERN = range(4)
ON, OFF, LOW = range(3)

ATTRIBUTES: dict[str, tuple[Attribute, ...]] = {
    "AirQualityObserved": (
        Attribute("pm25", "GQ"),  # µg/m³, as VN_AQI takes every pollutant (CO included)
        Attribute("pm10", "GQ"),
        Attribute("no2", "GQ"),
        Attribute("o3", "GQ"),
        Attribute("co", "GQ", 0),
        Attribute("so2", "GQ"),
        Attribute("temperature", "CEL"),
        Attribute("relativeHumidity", "C62", 2),  # a fraction 0–1, as Smart Data Models define it
    ),
    "WeatherObserved": (
        Attribute("temperature", "CEL"),
        Attribute("relativeHumidity", "C62", 2),
        Attribute("precipitation", "MMT"),  # millimetres in the last hour
        Attribute("windSpeed", "MTS"),
        Attribute("windDirection", "DD", 0),
        Attribute("atmosphericPressure", "A97"),  # hPa
    ),
    "FloodMonitoring": (Attribute("currentLevel", "MTR", 3),),
    "WaterObserved": (Attribute("waterLevel", "MTR", 3), Attribute("flow", "MQS")),
    "TrafficFlowObserved": (
        Attribute("intensity", None, 0, "int"),  # vehicles per hour over the period
        Attribute("occupancy", "C62", 3),
        Attribute("averageVehicleSpeed", "KMH"),
        Attribute("congested", None, 0, "bool"),
    ),
    "Streetlight": (
        Attribute("status", None, 0, "code", STREETLIGHT_STATUS),
        Attribute("powerState", None, 0, "code", POWER_STATE),
        Attribute("illuminanceLevel", "C62", 2),
        Attribute("powerConsumption", "WTT"),
    ),
    "OffStreetParking": (
        Attribute("availableSpotNumber", None, 0, "int"),
        Attribute("occupancy", "C62", 3),
    ),
    "NoiseLevelObserved": (Attribute("LAeq", "2N"), Attribute("LAmax", "2N")),
}


@dataclass
class Obs:
    """Observations of one type: sensor ``idx`` (within ``group``) at time ``t`` (epoch ms)."""

    seed: int
    group: TypeGroup
    idx: np.ndarray
    t: np.ndarray

    def __len__(self) -> int:
        return len(self.t)

    @cached_property
    def when(self) -> When:
        return When(self.t)

    @cached_property
    def keys(self) -> np.ndarray:
        return np.asarray(self.group.keys[self.idx])

    @cached_property
    def cells(self) -> np.ndarray:
        return np.asarray(self.group.cells[self.idx])

    @cached_property
    def air(self) -> Air:
        return climate.air(self.seed, self.cells, self.keys, self.when)

    @cached_property
    def traffic(self) -> np.ndarray:
        return climate.traffic_profile(self.when)

    def tag(self, name: str) -> np.ndarray:
        """1.0 where the observed sensor has the tag, else 0.0."""
        return np.asarray(self.group.tags[name][self.idx], np.float64)

    def trait(self, stream: str) -> np.ndarray:
        """A fixed uniform per sensor (lanes, bias, wattage …), per observation."""
        return np.asarray(self.group.unit(self.seed, stream)[self.idx])

    def normal(self, stream: str) -> np.ndarray:
        return normal(self.seed, stream, self.keys, self.t)

    def uniform(self, stream: str) -> np.ndarray:
        return uniform(self.seed, stream, self.keys, self.t)

    def smooth(self, stream: str, period_ms: int, *, regional: bool = False) -> np.ndarray:
        return smooth(self.seed, stream, self.cells if regional else self.keys, self.t, period_ms)

    def rain_3h(self) -> np.ndarray:
        """Recent rain weighted by age (mm): what drives run-off to the low points."""
        c, w = self.cells, self.when
        return (
            climate.rain_between(self.seed, c, w, HOUR, 0)
            + 0.6 * climate.rain_between(self.seed, c, w, 2 * HOUR, HOUR)
            + 0.3 * climate.rain_between(self.seed, c, w, 3 * HOUR, 2 * HOUR)
        )


def air_quality(o: Obs) -> Values:
    h, traffic, rain = o.when.hour, o.traffic, o.air.rain
    road = np.maximum(o.tag("roadside"), o.tag("boulevard"))
    base = 17.0 + 7.0 * o.tag("industrial") + 4.0 * road - 6.0 * o.tag("rural")
    season = 1.0 + 0.3 * np.cos(2 * np.pi * (o.when.year - 0.12))  # dry-season haze
    # The night-time boundary layer traps what the day emitted; rush hours add their share.
    cycle = (
        1.0
        + 0.42 * bump(h, 1.5, 3.5)
        + 0.25 * bump(h, 7.5, 1.2)
        + 0.2 * bump(h, 18.5, 1.5)
        - 0.3 * bump(h, 14.5, 2.0)
        - 0.1 * o.when.weekend
    )
    haze = np.exp(
        0.25 * o.smooth("aq/haze", 8 * HOUR, regional=True)
        + 0.12 * o.smooth("aq/episode", 2 * DAY, regional=True)
    )
    washout = 1.0 / (1.0 + rain / 8.0)
    pm25 = (
        base
        * season
        * cycle
        * haze
        * washout
        * (1.0 + 0.1 * o.smooth("aq/local", HOUR))
        * (1.0 + 0.04 * o.normal("aq/pm25"))
    )
    ratio = 1.45 + 0.35 * o.trait("aq/pm-ratio") + 0.25 * road
    night = bump(h, 22.0, 3.0)
    light = climate.daylight(o.when)
    return {
        "pm25": np.maximum(pm25, 1.0),
        "pm10": np.maximum(pm25 * ratio + 2.0 * o.normal("aq/pm10"), 2.0),
        "no2": (12.0 + 38.0 * traffic * (1.0 + 0.6 * road))
        * (1.0 + 0.25 * night)
        * np.sqrt(haze)
        * (1.0 + 0.06 * o.normal("aq/no2")),
        "o3": np.maximum(
            18.0
            + 85.0
            * light**1.5
            * (1.0 - 0.4 * climate.wet_season(o.when.year))
            * (1.0 - np.minimum(0.6, rain / 10.0))
            + 5.0 * o.normal("aq/o3"),
            2.0,
        ),
        "co": (550.0 + 1500.0 * traffic * (1.0 + 0.5 * road))
        * (1.0 + 0.3 * night)
        * np.sqrt(haze)
        * (1.0 + 0.05 * o.normal("aq/co")),
        "so2": np.maximum(
            (6.0 + 14.0 * o.tag("industrial")) * (1.0 + 0.3 * o.smooth("aq/so2", 6 * HOUR))
            + 0.8 * o.normal("aq/so2-noise"),
            0.5,
        ),
        "temperature": o.air.temperature,
        "relativeHumidity": o.air.humidity,
    }


def weather(o: Obs) -> Values:
    h, wet, rain = o.when.hour, climate.wet_season(o.when.year), o.air.rain
    gust = np.minimum(4.0, rain / 8.0)
    speed = (
        1.2 + 1.8 * bump(h, 14.5, 3.0) + 0.8 * wet + gust + 0.8 * o.smooth("wind/speed", 3 * HOUR)
    )
    # South-west monsoon in the rainy season, north-east/east trade winds in the dry season.
    direction = 110.0 + 115.0 * wet + 40.0 * o.smooth("wind/dir", 6 * HOUR, regional=True)
    pressure = (
        1011.5
        - 2.5 * wet
        + 1.1 * np.cos(2 * np.pi * (h - 10.0) / 12.0)  # the atmospheric tide: 10:00 and 22:00
        + 2.0 * o.smooth("pressure", 3 * DAY, regional=True)
        + 0.1 * o.normal("pressure/noise")
    )
    return {
        "temperature": o.air.temperature,
        "relativeHumidity": o.air.humidity,
        "precipitation": rain,
        "windSpeed": np.maximum(speed + 0.3 * o.normal("wind/noise"), 0.0),
        "windDirection": np.mod(direction + 12.0 * o.normal("wind/dir-noise"), 360.0),
        "atmosphericPressure": pressure,
    }


def flood(o: Obs) -> Values:
    levels = o.group.levels[o.idx]
    ref, alert = levels[:, 0], levels[:, 1]
    gap = alert - ref
    runoff = np.minimum(0.55, o.rain_3h() / 60.0) * np.where(o.tag("lowLying") > 0, 1.0, 0.3)
    tide, _ = climate.tide(o.t - _lag(o))
    tidal = o.tag("riverside") * (0.3 * tide / 1.4 + 0.6 * climate.river_season(o.when.year))
    # Ordinary weather never reaches the alert level: that is what the scenarios are for.
    excess = np.minimum(runoff + tidal, 0.75)
    level = (
        ref
        + gap * (excess + 0.02 * o.smooth("flood/drift", 2 * HOUR))
        + 0.003 * o.normal("flood/noise")
    )
    return {"currentLevel": level}


def _lag(o: Obs) -> np.ndarray:
    """Upstream stations see the tide later (up to 45 min)."""
    return (o.trait("tide/lag") * 45 * 60_000).astype(np.int64)


def water(o: Obs) -> Values:
    river = o.tag("riverside")
    wet = climate.wet_season(o.when.year)
    rain = o.rain_3h()
    tide, rate = climate.tide(o.t - _lag(o))
    amplitude = 0.8 + 0.3 * o.trait("tide/amplitude")
    still_level = 1.5 + 0.3 * wet + 0.05 * o.smooth("water/drift", DAY)
    river_level = 1.0 + amplitude * tide + climate.river_season(o.when.year)
    level = river * river_level + (1 - river) * still_level + 0.015 * rain
    # The tide reverses the river: the flow runs upstream (negative) while the level rises.
    river_flow = 60.0 + 160.0 * wet - 380.0 * amplitude * rate
    still_flow = 3.0 + 12.0 * wet + 0.8 * rain
    flow = river * river_flow + (1 - river) * still_flow + 3.0 * rain * river
    return {
        "waterLevel": level + 0.004 * o.normal("water/noise"),
        "flow": flow + 2.0 * o.normal("water/flow-noise"),
    }


def traffic(o: Obs) -> Values:
    boulevard, rural = o.tag("boulevard"), o.tag("rural")
    lanes = 2.0 + np.floor(3.0 * o.trait("traffic/lanes")) + 2.0 * boulevard
    load = o.traffic * (1.0 + 0.08 * o.normal("traffic/noise")) * (1.0 - 0.3 * rural)
    free = 45.0 + 15.0 * boulevard + 5.0 * o.tag("roadside") + 10.0 * rural
    wet_road = 1.0 - np.minimum(0.2, o.air.rain / 100.0)
    # Rush hours slow the traffic down to about half its free speed, not to a jam.
    speed = free * (1.0 - 0.45 * np.clip(load, 0, 1.1) ** 2) * wet_road
    speed = np.maximum(speed * (1.0 + 0.05 * o.normal("traffic/speed")), 3.0)
    occupancy = np.clip(0.02 + 0.5 * np.clip(load, 0, 1.2) ** 1.6, 0.0, 0.98)
    return {
        "intensity": np.maximum(lanes * 1700.0 * 0.75 * load, 0.0),
        "occupancy": occupancy,
        "averageVehicleSpeed": speed,
        "congested": speed < 0.3 * free,
    }


def streetlight(o: Obs) -> Values:
    h, year = o.when.hour, o.when.year
    dark = (h >= climate.sunset_hour(year) - 0.15) | (h < climate.sunrise_hour(year) + 0.15)
    dimmed = (h >= 23.0) | (h < 4.5)  # energy saving in the small hours
    power = np.where(dark, np.where(dimmed, LOW, ON), OFF)
    status = _lamp_faults(o)
    level = np.where(power == ON, 1.0, np.where(power == LOW, 0.5, 0.0))
    level = np.where(status == OK, level, 0.0)
    watts = 90.0 + 60.0 * o.trait("lamp/watts")
    return {
        "status": status,
        "powerState": power,
        "illuminanceLevel": level,
        "powerConsumption": np.where(
            status == OK, level * watts * (1.0 + 0.02 * o.normal("lamp/noise")) + 0.8, 1.5
        ),
    }


WEEK = 7 * DAY


def _lamp_faults(o: Obs) -> np.ndarray:
    """Now and then (≈ 0.4 % of lamps a week) a lamp fails for one to three days."""
    status = np.full(len(o), OK, np.int64)
    week = o.t // WEEK
    for w in (week, week - 1):
        keys = o.keys
        fails = uniform(o.seed, "lamp/fails", keys, w) < 0.004
        start = w * WEEK + (uniform(o.seed, "lamp/start", keys, w) * WEEK).astype(np.int64)
        length = ((1.0 + 2.0 * uniform(o.seed, "lamp/length", keys, w)) * DAY).astype(np.int64)
        kind = uniform(o.seed, "lamp/kind", keys, w)
        code = np.where(kind < 0.8, DEFECTIVE, np.where(kind < 0.95, BROKEN_LANTERN, COLUMN_ISSUE))
        broken = fails & (o.t >= start) & (o.t < start + length)
        status = np.where(broken, code, status)
    return status


def parking(o: Obs) -> Values:
    h, weekend = o.when.hour, o.when.weekend
    business = np.clip(
        0.12 + 0.7 * np.maximum(bump(h, 10.5, 1.8), bump(h, 15.0, 1.8)) + 0.45 * bump(h, 19.5, 1.4),
        0.0,
        0.97,
    )
    business = business * (1.0 - 0.2 * weekend) + 0.15 * weekend * bump(h, 19.0, 3.0)
    home = 0.9 - 0.5 * (1.0 / (1.0 + np.exp(-(h - 8.0) * 2.0)) - 1.0 / (1.0 + np.exp(-(h - 17.5))))
    residential = o.tag("residential")
    share = residential * home + (1 - residential) * business
    share = np.clip(share + 0.05 * o.smooth("parking/drift", HOUR), 0.0, 1.0)
    total = o.group.capacity[o.idx]
    free = np.rint(total * (1.0 - share))
    return {"availableSpotNumber": free, "occupancy": 1.0 - free / total}


def noise(o: Obs) -> Values:
    road = 4.0 * o.tag("roadside") + 6.0 * o.tag("boulevard") - 6.0 * o.tag("rural")
    laeq = 48.0 + 24.0 * np.sqrt(o.traffic) + road + 1.2 * o.normal("noise/laeq")
    return {"LAeq": laeq, "LAmax": laeq + 8.0 + 8.0 * o.uniform("noise/lamax")}


MODELS: dict[str, Callable[[Obs], Values]] = {
    "AirQualityObserved": air_quality,
    "WeatherObserved": weather,
    "FloodMonitoring": flood,
    "WaterObserved": water,
    "TrafficFlowObserved": traffic,
    "Streetlight": streetlight,
    "OffStreetParking": parking,
    "NoiseLevelObserved": noise,
}

"""Named scenarios: what can be made to happen, and which sensors each run touches.

A ``ScenarioRun`` is plain data (name, start, end, intensity, the sensors it touches with a weight
each), decided once when it is planned; ``effects.py`` turns it into changed readings. So a run
started by an operator during the demo and the same run written into history by a backfill change
the same readings in the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from cityioc.core.clock import iso_ms
from cityioc.core.errors import BadRequestData, ResourceNotFound
from cityioc.core.text import fold
from cityioc.sim.climate import HOUR, LOCAL_OFFSET_MS
from cityioc.sim.fleet import Fleet, SimSensor, natural_key
from cityioc.sim.noise import key_of

MINUTE = 60_000
MIN_FAULTY_LAMPS = 14


@dataclass(frozen=True, slots=True)
class ScenarioInfo:
    name: str
    title_vi: str
    title_en: str
    default_duration_ms: int
    usual_start: str  # local HH:MM at which the scenario usually happens (a suggestion)
    touches: str  # which sensors, in words


CATALOGUE: dict[str, ScenarioInfo] = {
    info.name: info
    for info in (
        ScenarioInfo(
            "heavy_rain",
            "Mưa lớn, ngập ở vùng trũng",
            "Heavy rain, flooding at the low points",
            125 * MINUTE,
            "17:05",
            "rain gauges (WeatherObserved) and air-quality stations get a downpour; FloodMonitoring"
            " stations tagged lowLying rise above alertLevel for about an hour, then fall back",
        ),
        ScenarioInfo(
            "pollution_episode",
            "Đợt ô nhiễm bụi mịn PM2.5 ban đêm",
            "Night-time PM2.5 pollution episode",
            11 * HOUR,
            "22:00",
            "AirQualityObserved stations tagged industrial: PM2.5 climbs; three stations reach"
            " VN_AQI 'Kém', one 'Xấu', the others stay 'Trung bình', until the morning",
        ),
        ScenarioInfo(
            "sensor_outage",
            "Cảm biến mất kết nối",
            "Sensor outage",
            2 * HOUR,
            "08:00",
            "one sensor (a weather station unless a target is given) sends nothing",
        ),
        ScenarioInfo(
            "streetlight_faults",
            "Hỏng đèn đường hàng loạt",
            "Streetlight faults along a segment",
            6 * HOUR,
            "18:30",
            "the streetlights of one segment on Mỹ Phước–Tân Vạn (at least 14 in a row) report"
            " defectiveLamp",
        ),
        ScenarioInfo(
            "traffic_jam",
            "Ùn tắc giao thông",
            "Traffic jam",
            HOUR,
            "17:00",
            "the TrafficFlowObserved sensors of one road segment (a boulevard one by default):"
            " congested, speed below 15 km/h",
        ),
    )
}

State = Literal["planned", "active", "finished"]


@dataclass(frozen=True, slots=True)
class ScenarioRun:
    id: str
    name: str
    start_ms: int
    end_ms: int
    intensity: float
    sensors: tuple[str, ...]  # ids of the touched sensors
    weights: tuple[float, ...]  # per touched sensor, in [0, 1] (meaning depends on the scenario)
    area: str | None = None
    target: str | None = None

    @property
    def info(self) -> ScenarioInfo:
        return CATALOGUE[self.name]

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms

    def overlaps(self, t0: int, t1: int) -> bool:
        return self.start_ms < t1 and t0 < self.end_ms

    def progress(self, t: np.ndarray) -> np.ndarray:
        """0 at the start, 1 at the end."""
        return (t - self.start_ms).astype(np.float64) / max(self.duration_ms, 1)

    def state(self, now_ms: int) -> State:
        if now_ms < self.start_ms:
            return "planned"
        return "active" if now_ms < self.end_ms else "finished"

    def to_dict(self, now_ms: int) -> dict[str, Any]:
        """JSON-ready, for the operator's API."""
        return {
            "id": self.id,
            "name": self.name,
            "title": {"vi": self.info.title_vi, "en": self.info.title_en},
            "start": iso_ms(self.start_ms),
            "end": iso_ms(self.end_ms),
            "state": self.state(now_ms),
            "intensity": self.intensity,
            "area": self.area,
            "target": self.target,
            "sensors": list(self.sensors),
        }


def scenario_name(name: str) -> str:
    """``heavy-rain``, ``Heavy_Rain`` and ``heavy_rain`` name the same scenario."""
    found = name.strip().lower().replace("-", "_")
    if found not in CATALOGUE:
        raise ResourceNotFound(f"unknown scenario {name!r}; scenarios: {', '.join(CATALOGUE)}")
    return found


def plan(
    name: str,
    fleet: Fleet,
    start_ms: int,
    duration_ms: int | None = None,
    *,
    intensity: float = 1.0,
    area: str | None = None,
    target: str | None = None,
    seed: int = 0,
    run_id: str | None = None,
) -> ScenarioRun:
    """Decide a run: its time span and the sensors it touches. Raises a CityError if it cannot."""
    name = scenario_name(name)
    duration = CATALOGUE[name].default_duration_ms if duration_ms is None else duration_ms
    if duration <= 0:
        raise BadRequestData("a scenario's duration must be positive")
    if not 0.0 <= intensity <= 5.0:
        raise BadRequestData("intensity must be between 0 and 5")
    pool = [s for s in fleet.sensors if _in_area(s, area)]
    chosen = _SELECT[name](pool, target, seed)
    if not chosen:
        where = f" in {area!r}" if area else ""
        raise BadRequestData(f"scenario {name} touches no sensor of this fleet{where}")
    return ScenarioRun(
        run_id or f"{name}@{iso_ms(start_ms)}",
        name,
        start_ms,
        start_ms + duration,
        intensity,
        tuple(s.id for s, _ in chosen),
        tuple(w for _, w in chosen),
        area,
        target,
    )


def _in_area(sensor: SimSensor, area: str | None) -> bool:
    if not area:
        return True
    folded = fold(sensor.area)
    return any(part and part in folded for part in (fold(p) for p in area.split(",")))


Chosen = list[tuple[SimSensor, float]]


def _of(pool: Sequence[SimSensor], kind: str) -> list[SimSensor]:
    return [s for s in pool if s.type == kind]


def _heavy_rain(pool: Sequence[SimSensor], target: str | None, seed: int) -> Chosen:
    # Weight of a flood station: where its peak lies between the alert and the danger level.
    low = [s for s in _of(pool, "FloodMonitoring") if "lowLying" in s.tags]
    chosen = [(s, _unit(seed, "rain/peak", s.id)) for s in low]
    for kind in ("WeatherObserved", "AirQualityObserved", "TrafficFlowObserved"):
        chosen += [(s, 1.0) for s in _of(pool, kind)]
    return chosen


def _pollution(pool: Sequence[SimSensor], target: str | None, seed: int) -> Chosen:
    stations = _of(pool, "AirQualityObserved")
    industrial = [s for s in stations if "industrial" in s.tags] or stations[:4]
    if target:
        industrial = [s for s in stations if target in (s.id, s.local_id)] or industrial
    # All climb; by a ranking the seed decides, one goes to "Xấu", the next three to "Kém" and
    # the rest stay "Trung bình", as in the night-time episode the operations centre rehearses.
    ranked = sorted(industrial, key=lambda s: key_of(f"{seed}/{s.id}"))
    weight = {s.id: 1.0 if i == 0 else 0.5 if i <= 3 else 0.0 for i, s in enumerate(ranked)}
    return [(s, weight[s.id]) for s in industrial]


def _outage(pool: Sequence[SimSensor], target: str | None, seed: int) -> Chosen:
    if target:
        return [(s, 1.0) for s in pool if target in (s.id, s.local_id)][:1]
    originals = [s for s in pool if not s.synthetic]
    weather = _of(originals, "WeatherObserved")
    first = (weather or originals or list(pool))[:1]
    return [(s, 1.0) for s in first]


def _segment(
    sensors: Sequence[SimSensor], target: str | None, preferred_tag: str
) -> list[SimSensor]:
    """The sensors of the target segment, else of the largest segment with the preferred tag."""
    by_group: dict[str, list[SimSensor]] = {}
    for s in sensors:
        if s.group:
            by_group.setdefault(s.group, []).append(s)
    if target:
        return sorted(by_group.get(target, []), key=lambda s: natural_key(s.id))
    if not by_group:
        return []
    originals = {g: m for g, m in by_group.items() if not any(s.synthetic for s in m)}
    candidates = originals or by_group
    tagged = {g: m for g, m in candidates.items() if any(preferred_tag in s.tags for s in m)}
    pick = tagged or candidates
    group = max(sorted(pick, key=natural_key), key=lambda g: len(pick[g]))
    return sorted(pick[group], key=lambda s: natural_key(s.id))


def _streetlights(pool: Sequence[SimSensor], target: str | None, seed: int) -> Chosen:
    lamps = _of(pool, "Streetlight")
    segment = _segment(lamps, target, "myPhuocTanVan")
    if not segment and not target:
        segment = [s for s in lamps if not s.synthetic][:MIN_FAULTY_LAMPS]
    return [(s, 1.0) for s in segment]


def _traffic_jam(pool: Sequence[SimSensor], target: str | None, seed: int) -> Chosen:
    sensors = _of(pool, "TrafficFlowObserved")
    segment = _segment(sensors, target, "boulevard")
    if not segment and not target:
        segment = [s for s in sensors if not s.synthetic][:1]
    return [(s, 1.0) for s in segment]


def _unit(seed: int, stream: str, text: str) -> float:
    return key_of(f"{seed}/{stream}/{text}") / 2.0**64


_SELECT = {
    "heavy_rain": _heavy_rain,
    "pollution_episode": _pollution,
    "sensor_outage": _outage,
    "streetlight_faults": _streetlights,
    "traffic_jam": _traffic_jam,
}


# --- when a run starts -------------------------------------------------------------------------


def parse_hhmm(text: str) -> int:
    """``17:05`` → milliseconds after local midnight."""
    hours, sep, minutes = text.partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit():
        raise BadRequestData(f"expected a local time HH:MM, not {text!r}")
    h, m = int(hours), int(minutes)
    if h > 23 or m > 59:
        raise BadRequestData(f"{text!r} is not a time of day")
    return (h * 60 + m) * MINUTE


def local_time_covering(time_of_day_ms: int, now_ms: int, duration_ms: int) -> int:
    """The start at that local time whose run covers ``now`` if there is one, else the next."""
    day = (now_ms + LOCAL_OFFSET_MS) // (24 * HOUR)
    for back in range(0, duration_ms // (24 * HOUR) + 2):
        start = (day - back) * 24 * HOUR - LOCAL_OFFSET_MS + time_of_day_ms
        if start <= now_ms < start + duration_ms:
            return start
    start = day * 24 * HOUR - LOCAL_OFFSET_MS + time_of_day_ms
    return start if start >= now_ms else start + 24 * HOUR


def local_time_ending_before(time_of_day_ms: int, end_ms: int, duration_ms: int) -> int:
    """The latest start at that local time whose run is over by ``end_ms`` (for backfills)."""
    day = (end_ms + LOCAL_OFFSET_MS) // (24 * HOUR)
    start = day * 24 * HOUR - LOCAL_OFFSET_MS + time_of_day_ms
    while start + duration_ms > end_ms:
        start -= 24 * HOUR
    return start

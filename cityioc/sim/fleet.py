"""The simulated sensors: read from NGSI-LD entities, scaled up with synthetic clones, and held
per type as numpy arrays so that a tick of 100,000 sensors is a handful of array operations.

The simulator knows no city: it reads what any city pack guarantees (``location``, ``areaServed``,
``simulationTags``, and the few type-specific attributes below) and nothing else.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np

from cityioc.sim.noise import keys_of, uniform

# Simulated types, in the order readings of the same instant are emitted.
SIM_TYPES = (
    "AirQualityObserved",
    "WeatherObserved",
    "FloodMonitoring",
    "WaterObserved",
    "TrafficFlowObserved",
    "Streetlight",
    "OffStreetParking",
    "NoiseLevelObserved",
)
TAGS = (
    "lowLying",
    "riverside",
    "industrial",
    "roadside",
    "residential",
    "rural",
    "boulevard",
    "myPhuocTanVan",
)
_TYPE_ORDER = {t: i for i, t in enumerate(SIM_TYPES)}
SYNTHETIC_MARK = "-sim"  # clone ids: <local id>-sim<k>


@dataclass(frozen=True, slots=True)
class SimSensor:
    id: str
    type: str
    lon: float = math.nan
    lat: float = math.nan
    area: str = ""
    name: str = ""
    tags: frozenset[str] = frozenset()
    group: str = ""  # refStreetlightGroup (Streetlight) or refRoadSegment (TrafficFlowObserved)
    levels: tuple[float, float, float] | None = None  # FloodMonitoring: reference, alert, danger
    capacity: int | None = None  # OffStreetParking: totalSpotNumber
    direction: str = ""  # TrafficFlowObserved: laneDirection
    origin: str | None = None  # the sensor a synthetic clone was derived from

    @property
    def synthetic(self) -> bool:
        return self.origin is not None

    @property
    def local_id(self) -> str:
        parts = self.id.split(":", 3)
        return parts[3] if len(parts) == 4 and parts[0] == "urn" else self.id


def _plain(value: Any) -> Any:
    """The value of a normalized attribute, or the value itself (keyValues)."""
    if isinstance(value, dict) and value.get("type") in (
        "Property",
        "GeoProperty",
        "Relationship",
        "LanguageProperty",
    ):
        if value["type"] == "Relationship":
            return value.get("object")
        return value.get("value")
    return value


def sensor_from_entity(entity: Mapping[str, Any]) -> SimSensor | None:
    """A ``SimSensor`` from an NGSI-LD entity (keyValues or normalized, core @context terms).

    None for types the simulator does not animate and for clones it made itself (``synthetic``),
    which are derived again from their originals.
    """
    raw_type = entity.get("type")
    types = raw_type if isinstance(raw_type, list) else [raw_type]
    kind = next((t for t in types if t in _TYPE_ORDER), None)
    eid = entity.get("id")
    if kind is None or not isinstance(eid, str) or _plain(entity.get("synthetic")) is True:
        return None
    lon, lat = _point(_plain(entity.get("location")))
    tags = _plain(entity.get("simulationTags"))
    tag_set = frozenset(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else None
    if isinstance(tags, str):
        tag_set = frozenset([tags])
    group = _plain(entity.get("refStreetlightGroup") or entity.get("refRoadSegment"))
    return SimSensor(
        id=eid,
        type=kind,
        lon=lon,
        lat=lat,
        area=_text(_plain(entity.get("areaServed"))),
        name=_text(_plain(entity.get("name"))),
        tags=tag_set or frozenset(),
        group=_text(group),
        levels=_levels(entity) if kind == "FloodMonitoring" else None,
        capacity=_int(_plain(entity.get("totalSpotNumber"))),
        direction=_text(_plain(entity.get("laneDirection"))),
    )


def _point(geometry: Any) -> tuple[float, float]:
    if isinstance(geometry, dict) and geometry.get("type") == "Point":
        coords = geometry.get("coordinates")
        if isinstance(coords, list) and len(coords) >= 2:
            return float(coords[0]), float(coords[1])
    return math.nan, math.nan


def _text(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and value > 0 else None


def _levels(entity: Mapping[str, Any]) -> tuple[float, float, float]:
    """(reference, alert, danger); missing ones follow from the others (illustrative gaps)."""
    ref, alert, danger = (
        _plain(entity.get(name)) for name in ("referenceLevel", "alertLevel", "dangerLevel")
    )
    r = float(ref) if isinstance(ref, int | float) else 0.0
    a = float(alert) if isinstance(alert, int | float) else r + 0.5
    d = float(danger) if isinstance(danger, int | float) else a + (a - r)
    return r, max(a, r + 0.01), max(d, a + 0.01)


def natural_key(text: str) -> tuple[Any, ...]:
    """``lamp-9`` before ``lamp-10``: digits compare as numbers."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", text))


@dataclass  # no slots: cached_property needs an instance __dict__
class TypeGroup:
    """The sensors of one type, as arrays indexed like ``sensors``."""

    type: str
    sensors: tuple[SimSensor, ...]
    ordinals: np.ndarray  # position of each sensor in the fleet (the emission order)
    keys: np.ndarray = field(init=False)  # uint64 hash of the id: the sensor's random identity
    tags: dict[str, np.ndarray] = field(init=False)
    group_names: list[str] = field(init=False)
    group_codes: np.ndarray = field(init=False)  # index into group_names, -1 without a group

    def __post_init__(self) -> None:
        self.keys = keys_of([s.id for s in self.sensors])
        self.tags = {
            tag: np.fromiter((tag in s.tags for s in self.sensors), bool, len(self.sensors))
            for tag in TAGS
        }
        names = sorted({s.group for s in self.sensors if s.group}, key=natural_key)
        code = {g: i for i, g in enumerate(names)}
        self.group_names = names
        self.group_codes = np.array([code.get(s.group, -1) for s in self.sensors], np.int64)

    def __len__(self) -> int:
        return len(self.sensors)

    @cached_property
    def ids(self) -> list[str]:
        return [s.id for s in self.sensors]

    @cached_property
    def cells(self) -> np.ndarray:
        """uint64 key of each sensor's weather cell: a 0.1° square (≈ 11 km), else its area."""
        return keys_of(
            [
                f"{math.floor(s.lon * 10)}/{math.floor(s.lat * 10)}"
                if math.isfinite(s.lon) and math.isfinite(s.lat)
                else f"area:{s.area}"
                for s in self.sensors
            ]
        )

    @cached_property
    def levels(self) -> np.ndarray:
        """(n, 3) reference, alert and danger levels (FloodMonitoring)."""
        return np.array([s.levels or (0.0, 0.5, 1.0) for s in self.sensors], np.float64).reshape(
            -1, 3
        )

    @cached_property
    def capacity(self) -> np.ndarray:
        return np.array([s.capacity or 100 for s in self.sensors], np.float64)

    def unit(self, seed: int, stream: str) -> np.ndarray:
        """A fixed uniform per sensor (its character: lanes, bias, lamp wattage …)."""
        return uniform(seed, stream, self.keys, np.zeros(len(self), np.int64))


class Fleet:
    """All simulated sensors in a fixed order (type, then id), grouped by type."""

    def __init__(self, sensors: Iterable[SimSensor], known: Iterable[str] = ()) -> None:
        unique = {s.id: s for s in sensors}
        # Ids of the entities the fleet was read from (clones included): those exist already.
        self.known = frozenset(known)
        self.sensors = tuple(
            sorted(unique.values(), key=lambda s: (_TYPE_ORDER[s.type], natural_key(s.id)))
        )
        self.position = {s.id: i for i, s in enumerate(self.sensors)}
        self.groups: dict[str, TypeGroup] = {}
        for kind in SIM_TYPES:
            members = [i for i, s in enumerate(self.sensors) if s.type == kind]
            if members:
                self.groups[kind] = TypeGroup(
                    kind, tuple(self.sensors[i] for i in members), np.array(members, np.int64)
                )
        self.local = {s.id: i for g in self.groups.values() for i, s in enumerate(g.sensors)}

    @classmethod
    def from_entities(cls, entities: Iterable[Mapping[str, Any]]) -> Fleet:
        given = list(entities)
        ids = (e["id"] for e in given if isinstance(e.get("id"), str))
        return cls((s for e in given if (s := sensor_from_entity(e)) is not None), ids)

    def __len__(self) -> int:
        return len(self.sensors)

    def __getitem__(self, sensor_id: str) -> SimSensor:
        return self.sensors[self.position[sensor_id]]

    @property
    def originals(self) -> list[SimSensor]:
        return [s for s in self.sensors if not s.synthetic]

    def scaled(self, count: int, seed: int = 0) -> Fleet:
        """Exactly ``count`` sensors: a type-balanced subset, or the originals plus clones."""
        originals = self.originals
        if not originals:
            raise ValueError("the fleet has no sensors to scale")
        if count <= len(originals):
            return Fleet(_balanced_subset(originals, count), self.known)
        out = list(originals)
        k = 0
        while len(out) < count:
            k += 1
            out += [clone(s, k, seed) for s in originals[: count - len(out)]]
        return Fleet(out, self.known)


def _balanced_subset(sensors: Sequence[SimSensor], count: int) -> list[SimSensor]:
    by_type: dict[str, list[SimSensor]] = {}
    for s in sensors:
        by_type.setdefault(s.type, []).append(s)
    out: list[SimSensor] = []
    depth = 0
    while len(out) < count:
        for members in by_type.values():
            if depth < len(members) and len(out) < count:
                out.append(members[depth])
        depth += 1
    return out


def clone(sensor: SimSensor, k: int, seed: int = 0) -> SimSensor:
    """The k-th synthetic copy of a sensor: derived id, up to ~450 m away, its own segment."""
    jitter = uniform(
        seed, "clone-position", keys_of([sensor.id]), np.array([k, k + 1_000_000], np.int64)
    )
    suffix = f"{SYNTHETIC_MARK}{k:05d}"
    prefix, _, local = sensor.id.rpartition(":")
    return replace(
        sensor,
        id=f"{prefix}:{local}{suffix}" if prefix else f"{sensor.id}{suffix}",
        lon=sensor.lon + (float(jitter[0]) - 0.5) * 0.008,
        lat=sensor.lat + (float(jitter[1]) - 0.5) * 0.008,
        name=f"{sensor.name or local} (mô phỏng / synthetic {k})",
        group=f"{sensor.group}{suffix}" if sensor.group else "",
        origin=sensor.id,
    )


def clone_entities(fleet: Fleet) -> list[dict[str, Any]]:
    """NGSI-LD bodies (normalized, core-context terms) for the fleet's synthetic sensors that
    were not among the entities it was read from."""
    out = []
    for s in fleet.sensors:
        if s.origin is None or s.id in fleet.known:
            continue
        body: dict[str, Any] = {
            "id": s.id,
            "type": s.type,
            "name": {"type": "Property", "value": s.name},
            "description": {
                "type": "Property",
                "value": f"Cảm biến mô phỏng từ {s.origin} / synthetic sensor derived from"
                f" {s.origin} by the cityioc simulator",
            },
            "synthetic": {"type": "Property", "value": True},
            "simulationTags": {"type": "Property", "value": sorted(s.tags)},
        }
        if math.isfinite(s.lon) and math.isfinite(s.lat):
            body["location"] = {
                "type": "GeoProperty",
                "value": {"type": "Point", "coordinates": [round(s.lon, 6), round(s.lat, 6)]},
            }
        if s.area:
            body["areaServed"] = {"type": "Property", "value": s.area}
        if s.group:
            name = "refStreetlightGroup" if s.type == "Streetlight" else "refRoadSegment"
            body[name] = {"type": "Property", "value": s.group}
        if s.levels is not None:
            names = ("referenceLevel", "alertLevel", "dangerLevel")
            for name, level in zip(names, s.levels, strict=True):
                body[name] = {"type": "Property", "value": level, "unitCode": "MTR"}
        if s.capacity is not None:
            body["totalSpotNumber"] = {"type": "Property", "value": s.capacity}
        if s.direction:
            body["laneDirection"] = {"type": "Property", "value": s.direction}
        out.append(body)
    return out

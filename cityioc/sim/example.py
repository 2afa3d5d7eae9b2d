"""An illustrative fleet of any size, for benchmarks and smoke runs without a city pack.

Sensors are spread around the former districts of Bình Dương with the tags a pack would give
them. Nothing here is real: every entity says so in its ``description``. A deployment simulates
the sensors its city pack loaded, not these.
"""

from __future__ import annotations

from typing import Any

# (area, lat, lon): approximate centroids of the former district-level units.
AREAS = (
    ("Thủ Dầu Một", 10.98, 106.65),
    ("Dĩ An", 10.90, 106.77),
    ("Thuận An", 10.93, 106.71),
    ("Tân Uyên", 11.06, 106.80),
    ("Bến Cát", 11.15, 106.59),
    ("Bàu Bàng", 11.25, 106.63),
    ("Bắc Tân Uyên", 11.15, 106.85),
    ("Phú Giáo", 11.29, 106.79),
    ("Dầu Tiếng", 11.28, 106.36),
)
SHARES = (
    ("AirQualityObserved", 0.06, ("industrial", "roadside", "industrial", "residential", "rural")),
    ("WeatherObserved", 0.04, ("", "lowLying", "rural")),
    ("FloodMonitoring", 0.05, ("lowLying", "lowLying", "riverside", "lowLying", "")),
    ("WaterObserved", 0.03, ("riverside", "riverside", "rural")),
    ("TrafficFlowObserved", 0.14, ("boulevard", "roadside", "myPhuocTanVan")),
    ("OffStreetParking", 0.05, ("", "residential")),
    ("NoiseLevelObserved", 0.08, ("roadside", "boulevard", "residential")),
)
LAMPS_PER_SEGMENT = 16
ROAD_SENSORS_PER_SEGMENT = 3


def example_entities(count: int) -> list[dict[str, Any]]:
    """``count`` illustrative sensors (keyValues); about half of them streetlights."""
    out: list[dict[str, Any]] = []
    for kind, share, tags in SHARES:
        for i in range(max(1, round(share * count))):
            out.append(_entity(kind, i, tags[i % len(tags)]))
    for i in range(max(LAMPS_PER_SEGMENT, count - len(out))):
        segment = i // LAMPS_PER_SEGMENT
        tag = "myPhuocTanVan" if segment % 3 == 0 else "roadside"
        lamp = _entity("Streetlight", i, tag)
        lamp.update(refStreetlightGroup=f"seg-{segment:04d}", status="ok", powerState="off")
        out.append(lamp)
    return out


def _entity(kind: str, i: int, tag: str) -> dict[str, Any]:
    area, lat, lon = AREAS[(i * 7 + len(kind)) % len(AREAS)]
    spread = ((i * 37) % 101 - 50) / 2000, ((i * 53) % 97 - 48) / 2000
    local = f"ex-{i:05d}"
    entity: dict[str, Any] = {
        "id": f"urn:ngsi-ld:{kind}:{local}",
        "type": kind,
        "name": f"{kind} {local}",
        "description": "Illustrative sensor of the cityioc example fleet (not a real device)",
        "location": {"type": "Point", "coordinates": [lon + spread[0], lat + spread[1]]},
        "areaServed": area,
        "simulationTags": [tag] if tag else [],
    }
    if kind == "FloodMonitoring":
        entity.update(referenceLevel=0.2, alertLevel=0.6, dangerLevel=1.0)
    elif kind == "OffStreetParking":
        entity["totalSpotNumber"] = 80 + (i * 29) % 400
    elif kind == "TrafficFlowObserved":
        entity["refRoadSegment"] = f"road-{i // ROAD_SENSORS_PER_SEGMENT:04d}"
        entity["laneDirection"] = "forward" if i % 2 == 0 else "backward"
    return entity

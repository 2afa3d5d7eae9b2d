"""A small fleet written as NGSI-LD entities (keyValues), the way a city pack provides them."""

from __future__ import annotations

from typing import Any

Entity = dict[str, Any]


def _sensor(kind: str, local: str, lon: float, lat: float, area: str, *tags: str) -> Entity:
    return {
        "id": f"urn:ngsi-ld:{kind}:{local}",
        "type": kind,
        "name": f"{kind} {local}",
        "location": {"type": "Point", "coordinates": [lon, lat]},
        "areaServed": area,
        "simulationTags": list(tags),
    }


def small_fleet() -> list[Entity]:
    out = [
        _sensor("AirQualityObserved", "aq-vsip1", 106.70, 10.93, "Thuận An", "industrial"),
        _sensor("AirQualityObserved", "aq-songthan", 106.76, 10.90, "Dĩ An", "industrial"),
        _sensor("AirQualityObserved", "aq-mypuoc", 106.60, 11.14, "Bến Cát", "industrial"),
        _sensor("AirQualityObserved", "aq-namtanuyen", 106.80, 11.06, "Tân Uyên", "industrial"),
        _sensor("AirQualityObserved", "aq-baubang", 106.63, 11.25, "Bàu Bàng", "industrial"),
        _sensor("AirQualityObserved", "aq-vsip2", 106.69, 11.08, "Tân Uyên", "industrial"),
        _sensor("AirQualityObserved", "aq-bd13", 106.66, 10.97, "Thủ Dầu Một", "roadside"),
        _sensor("AirQualityObserved", "aq-phugiao", 106.79, 11.29, "Phú Giáo", "rural"),
        _sensor("WeatherObserved", "wx-tdm", 106.65, 10.98, "Thủ Dầu Một"),
        _sensor("WeatherObserved", "wx-thuanan", 106.71, 10.93, "Thuận An", "lowLying"),
        _sensor("WeatherObserved", "wx-dian", 106.77, 10.90, "Dĩ An", "lowLying"),
        _sensor("WaterObserved", "river-tdm", 106.64, 10.97, "Thủ Dầu Một", "riverside"),
        _sensor("WaterObserved", "lake-dautieng", 106.36, 11.28, "Dầu Tiếng", "rural"),
        _sensor("OffStreetParking", "park-newcity", 106.67, 11.05, "Thủ Dầu Một"),
        _sensor("OffStreetParking", "park-home", 106.71, 10.94, "Thuận An", "residential"),
        _sensor("NoiseLevelObserved", "noise-bd13", 106.66, 10.96, "Thủ Dầu Một", "boulevard"),
        _sensor("NoiseLevelObserved", "noise-home", 106.72, 10.94, "Thuận An", "residential"),
    ]
    out[-4]["totalSpotNumber"] = 400
    out[-3]["totalSpotNumber"] = 120
    floods = [
        ("fl-laithieu", 106.70, 10.91, "Thuận An", ("lowLying",), (0.1, 0.4, 0.7)),
        ("fl-binhhoa", 106.72, 10.92, "Thuận An", ("lowLying",), (0.0, 0.3, 0.6)),
        ("fl-dian", 106.77, 10.89, "Dĩ An", ("lowLying",), (0.2, 0.5, 0.9)),
        ("fl-tdm-river", 106.64, 10.98, "Thủ Dầu Một", ("riverside",), (1.0, 1.6, 2.0)),
        ("fl-bencat", 106.59, 11.15, "Bến Cát", (), (0.0, 0.5, 1.0)),
    ]
    for local, lon, lat, area, tags, (ref, alert, danger) in floods:
        entity = _sensor("FloodMonitoring", local, lon, lat, area, *tags)
        entity.update(referenceLevel=ref, alertLevel=alert, dangerLevel=danger)
        out.append(entity)
    segments = [("seg-bd13-a", ("boulevard", "roadside"), 3), ("seg-mptv-2", ("myPhuocTanVan",), 2)]
    for segment, tags, count in segments:
        for i in range(count):
            entity = _sensor(
                "TrafficFlowObserved", f"{segment}-{i}", 106.66, 10.96 + i / 100, "Thuận An", *tags
            )
            entity.update(refRoadSegment=segment, laneDirection="forward")
            out.append(entity)
    lamps = [("mptv-07", 16, ("myPhuocTanVan", "roadside")), ("bd13-02", 6, ("boulevard",))]
    for segment, count, tags in lamps:
        for i in range(1, count + 1):
            entity = _sensor(
                "Streetlight", f"{segment}-{i}", 106.7 + i / 1000, 11.0, "Thuận An", *tags
            )
            entity.update(refStreetlightGroup=segment, status="ok", powerState="off")
            out.append(entity)
    return out


def normalized(entity: Entity) -> Entity:
    """The keyValues entity in normalized form (what the batch operations take)."""
    out: Entity = {"id": entity["id"], "type": entity["type"]}
    for name, value in entity.items():
        if name in ("id", "type"):
            continue
        kind = "GeoProperty" if name == "location" else "Property"
        out[name] = {"type": kind, "value": value}
    return out

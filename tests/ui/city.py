"""A small city for the browser tests: a few areas, air-quality stations, flood gauges, a road
with a traffic counter and streetlights, written through the real API of a real server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

AQ = "urn:ngsi-ld:AirQualityObserved:"
FLOOD = "urn:ngsi-ld:FloodMonitoring:"

# Station → PM2.5 (µg/m³) → VN_AQI category drawn on the map.
STATIONS: dict[str, tuple[str, float, float, float, str]] = {
    "ui-tdm": ("Trạm quan trắc không khí Thủ Dầu Một", 106.655, 10.978, 10.0, "aqi-good"),
    "ui-dian": ("Trạm quan trắc không khí Dĩ An", 106.77, 10.905, 30.0, "aqi-moderate"),
    "ui-vsip": ("Trạm quan trắc không khí KCN VSIP I", 106.705, 10.923, 65.0, "aqi-poor"),
    "ui-change": ("Trạm quan trắc không khí Thuận An", 106.71, 10.93, 12.0, "aqi-good"),
}
GAUGES: dict[str, tuple[str, float, float, float]] = {
    "ui-lai-thieu": ("Mực nước Lái Thiêu", 106.70, 10.905, 0.35),
    "ui-bach-dang": ("Mực nước bờ kè Bạch Đằng", 106.648, 10.977, 0.05),
}
AREAS = [
    ("25747", "Phường Thủ Dầu Một", "Thủ Dầu Một Ward", 106.655, 10.978),
    ("25942", "Phường Dĩ An", "Dĩ An Ward", 106.77, 10.905),
    ("25966", "Phường Thuận An", "Thuận An Ward", 106.71, 10.93),
]


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def prop(value: Any, unit: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "Property", "value": value}
    if unit:
        out["unitCode"] = unit
    return out


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}}


def entities() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for code, vi, en, lon, lat in AREAS:
        out.append(
            {
                "id": f"urn:ngsi-ld:AdministrativeArea:{code}",
                "type": "AdministrativeArea",
                "name": prop(vi),
                "alternateName": prop(en),
                "level": prop("commune"),
                "validFrom": prop("2025-07-01"),
                "location": point(lon, lat),
            }
        )
    for local, (name, lon, lat, _, _) in STATIONS.items():
        out.append(
            {
                "id": AQ + local,
                "type": "AirQualityObserved",
                "name": prop(name),
                "areaServed": prop("Phường Thuận An"),
                "illustrative": prop(True),
                "location": point(lon, lat),
            }
        )
    for local, (name, lon, lat, _) in GAUGES.items():
        out.append(
            {
                "id": FLOOD + local,
                "type": "FloodMonitoring",
                "name": prop(name),
                "referenceLevel": prop(0.0, "MTR"),
                "alertLevel": prop(0.2, "MTR"),
                "dangerLevel": prop(0.5, "MTR"),
                "location": point(lon, lat),
            }
        )
    for n in range(1, 4):
        out.append(
            {
                "id": f"urn:ngsi-ld:Streetlight:ui-{n}",
                "type": "Streetlight",
                "name": prop(f"Đèn chiếu sáng số {n:03d}"),
                "status": prop("ok"),
                "powerState": prop("on"),
                "location": point(106.72 + n * 0.004, 10.95),
            }
        )
    return out


def current_readings(now: datetime) -> list[dict[str, Any]]:
    at = iso(now)
    out: list[dict[str, Any]] = []
    for local, (_, _, _, pm25, _) in STATIONS.items():
        out.append({"entity": AQ + local, "attribute": "pm25", "value": pm25, "observedAt": at})
    for local, (_, _, _, level) in GAUGES.items():
        out.append(
            {"entity": FLOOD + local, "attribute": "currentLevel", "value": level, "observedAt": at}
        )
    for n in range(1, 4):
        light = f"urn:ngsi-ld:Streetlight:ui-{n}"
        out.append({"entity": light, "attribute": "status", "value": "ok", "observedAt": at})
    return out


def history(now: datetime, hours: int = 48) -> list[dict[str, Any]]:
    """PM2.5 every 5 minutes for the last two days at the Thủ Dầu Một station (for charts)."""
    out = []
    for i in range(hours * 12, 0, -1):
        at = now - timedelta(minutes=5 * i)
        value = 10.0 + 8.0 * ((i % 144) / 144)
        out.append(
            {"entity": AQ + "ui-tdm", "attribute": "pm25", "value": value, "observedAt": iso(at)}
        )
    return out


def load(url: str, admin_key: str) -> None:
    now = datetime.now(UTC)
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {admin_key}"}) as http:
        r = http.post("/ngsi-ld/v1/entityOperations/upsert", json=entities())
        assert r.status_code in (201, 204), r.text
        for batch in (history(now), current_readings(now)):
            r = http.post("/api/v1/readings", json=batch)
            assert r.status_code < 300, r.text


def post_reading(url: str, admin_key: str, entity: str, attribute: str, value: Any) -> None:
    reading = {
        "entity": entity,
        "attribute": attribute,
        "value": value,
        "observedAt": iso(datetime.now(UTC)),
    }
    r = httpx.post(
        url + "/api/v1/readings",
        json=[reading],
        headers={"Authorization": f"Bearer {admin_key}"},
    )
    assert r.status_code < 300, r.text

"""Sensors online and offline, decided on the server: the rule (last update within the type's
reporting interval × the tolerance) and ``GET /api/v1/sensors/status`` per role, type and area."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cityioc.core.clock import FakeClock, iso_ms
from cityioc.core.settings import Settings
from cityioc.hub.models import StoredEntity
from cityioc.packs.sensor_status import (
    OFFLINE_TOLERANCE,
    last_update,
    offline_after_ms,
    sensor_state,
    totals,
)
from cityioc.packs.sensor_types import REPORT_EVERY_MS, SENSOR_TYPES, SensorType
from cityioc.web.app import create_app
from tests.web.conftest import ADMIN_KEY

NOW = 1_780_000_000_000
MINUTE = 60_000
AQ = "urn:ngsi-ld:AirQualityObserved:"
LIGHT = "urn:ngsi-ld:Streetlight:"


def stored(eid: str, **observed: int | None) -> StoredEntity:
    doc: dict[str, Any] = {}
    for name, at in observed.items():
        attr: dict[str, Any] = {"type": "Property", "value": 1.0}
        if at is not None:
            attr["observedAt"] = iso_ms(at)
        doc[f"https://example.org/{name}"] = attr
    return StoredEntity(eid, ["AirQualityObserved"], doc, 0, 0)


def test_online_while_the_last_update_is_within_the_interval_times_the_tolerance() -> None:
    limit = offline_after_ms("AirQualityObserved")
    assert limit == REPORT_EVERY_MS * OFFLINE_TOLERANCE == 15 * MINUTE
    fresh = stored(AQ + "a", pm25=NOW - limit, pm10=NOW - 2 * limit)
    assert last_update(fresh) == NOW - limit  # the newest observedAt counts
    assert sensor_state(fresh, "AirQualityObserved", NOW).online
    stale = stored(AQ + "b", pm25=NOW - limit - 1)
    assert not sensor_state(stale, "AirQualityObserved", NOW).online
    never = stored(AQ + "c", name=None)  # static attributes only: it never reported
    state = sensor_state(never, "AirQualityObserved", NOW)
    assert state.last_update is None and not state.online
    # Multi-attributes (dataset ids) and an unparseable time.
    multi = StoredEntity(
        AQ + "d",
        ["AirQualityObserved"],
        {
            "https://example.org/pm25": [
                {"type": "Property", "value": 1, "datasetId": "urn:a", "observedAt": "soon"},
                {"type": "Property", "value": 2, "datasetId": "urn:b", "observedAt": iso_ms(NOW)},
            ]
        },
        0,
        0,
    )
    assert last_update(multi) == NOW


def test_each_type_has_its_own_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SENSOR_TYPES, "Streetlight", SensorType(report_every_ms=20 * MINUTE))
    lamp = stored(LIGHT + "1", status=NOW - 40 * MINUTE)
    assert sensor_state(lamp, "Streetlight", NOW).online  # 40 min < 3 × 20 min
    assert not sensor_state(lamp, "Streetlight", NOW, tolerance=1.5).online
    rows = totals(
        [
            sensor_state(lamp, "Streetlight", NOW),
            sensor_state(stored(AQ + "x"), "AirQualityObserved", NOW),
        ],
        ["AirQualityObserved", "Streetlight", "FloodMonitoring"],
    )
    found = {r.type: (r.online, r.offline, r.total, r.offline_after_ms) for r in rows}
    assert found == {
        "AirQualityObserved": (0, 1, 1, 15 * MINUTE),
        "Streetlight": (1, 0, 1, 60 * MINUTE),
        "FloodMonitoring": (0, 0, 0, 15 * MINUTE),
    }


# --- over HTTP, on each backend ---------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def client(database_url: str, clock: FakeClock) -> Iterator[TestClient]:
    settings = Settings(database_url=database_url, admin_key=ADMIN_KEY, environment="test")
    app = create_app(settings, clock=clock)
    with TestClient(app, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as c:
        yield c


def prop(value: Any) -> dict[str, Any]:
    return {"type": "Property", "value": value}


def make_city(client: TestClient) -> None:
    """Three stations in two wards (one silent for 20 minutes, one that never reported) and two
    streetlights (not a public type), one of them reporting."""
    bodies = []
    for local, area in (
        ("tdm", "Phường Thủ Dầu Một"),
        ("dian", "Phường Dĩ An"),
        ("new", "Phường Dĩ An"),
    ):
        bodies.append(
            {"id": AQ + local, "type": "AirQualityObserved", "name": prop(f"Trạm {local}"),
             "areaServed": prop(area)}
        )  # fmt: skip
    for n in (1, 2):
        bodies.append(
            {"id": f"{LIGHT}{n}", "type": "Streetlight", "name": prop(f"Đèn {n}"),
             "areaServed": prop("Phường Dĩ An"), "status": prop("ok")}
        )  # fmt: skip
    made = client.post("/ngsi-ld/v1/entityOperations/create", json=bodies)
    assert made.status_code == 201, made.text
    readings = [
        {"entity": AQ + "tdm", "attribute": "pm25", "value": 12.0,
         "observedAt": iso_ms(NOW - MINUTE)},
        {"entity": AQ + "dian", "attribute": "pm25", "value": 30.0,
         "observedAt": iso_ms(NOW - 20 * MINUTE)},
        {"entity": LIGHT + "1", "attribute": "powerState", "value": "on",
         "observedAt": iso_ms(NOW)},
    ]  # fmt: skip
    stored_ = client.post("/api/v1/readings", json=readings)
    assert stored_.status_code == 200, stored_.text


def key(client: TestClient, role: str) -> dict[str, str]:
    made = client.post("/api/v1/admin/keys", json={"role": role, "name": role})
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['key']}"}


def test_the_status_per_sensor_and_per_type(client: TestClient, clock: FakeClock) -> None:
    make_city(client)
    got = client.get("/api/v1/sensors/status", headers=key(client, "viewer"))
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["at"] == iso_ms(NOW) and body["tolerance"] == OFFLINE_TOLERANCE
    assert body["totals"] == {"online": 2, "offline": 3, "total": 5}
    assert body["types"] == [
        {"type": "AirQualityObserved", "reportEverySeconds": 300, "offlineAfterSeconds": 900,
         "online": 1, "offline": 2, "total": 3},
        {"type": "Streetlight", "reportEverySeconds": 300, "offlineAfterSeconds": 900,
         "online": 1, "offline": 1, "total": 2},
    ]  # fmt: skip
    items = {i["id"]: i for i in body["items"]}
    assert items[AQ + "tdm"] == {
        "id": AQ + "tdm",
        "type": "AirQualityObserved",
        "name": "Trạm tdm",
        "areaServed": "Phường Thủ Dầu Một",
        "online": True,
        "lastUpdate": iso_ms(NOW - MINUTE),
    }
    assert items[AQ + "dian"]["online"] is False
    assert items[AQ + "new"]["lastUpdate"] is None and items[AQ + "new"]["online"] is False
    # Time passes: the server decides again, no new data needed.
    clock.advance(minutes=15)
    later = client.get("/api/v1/sensors/status", params={"items": "false"}).json()
    assert later["totals"] == {"online": 1, "offline": 4, "total": 5} and "items" not in later


def test_filters_by_type_and_area(client: TestClient) -> None:
    make_city(client)
    got = client.get(
        "/api/v1/sensors/status", params={"type": "AirQualityObserved", "area": "phuong di an"}
    ).json()
    assert {i["id"] for i in got["items"]} == {AQ + "dian", AQ + "new"}
    assert got["totals"] == {"online": 0, "offline": 2, "total": 2}
    # A type asked for is listed even when it has no sensor.
    flood = client.get("/api/v1/sensors/status", params={"type": "FloodMonitoring"}).json()
    assert flood["types"][0]["type"] == "FloodMonitoring" and flood["totals"]["total"] == 0
    bad = client.get("/api/v1/sensors/status", params={"type": "Volcano"})
    assert bad.status_code == 400 and bad.json()["title"] == "Bad request data"
    detail = bad.json()["detail"]
    assert "Volcano is not a sensor type" in detail and "loại cảm biến" in detail


def test_who_sees_what(client: TestClient) -> None:
    make_city(client)
    url = "/api/v1/sensors/status"
    for role in ("viewer", "operator"):
        assert client.get(url, headers=key(client, role)).status_code == 200
    assert client.get(url, headers=key(client, "ingest")).status_code == 403  # a device's key
    public = {"Authorization": ""}  # no key: the public
    seen = client.get(url, headers=public)
    assert seen.status_code == 200, seen.text
    assert {t["type"] for t in seen.json()["types"]} == {"AirQualityObserved"}
    assert all(i["type"] == "AirQualityObserved" for i in seen.json()["items"])
    hidden = client.get(url, params={"type": "Streetlight"}, headers=public)
    assert hidden.status_code == 403, hidden.text

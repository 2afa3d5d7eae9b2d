"""The alerts API end to end in process: roles, lifecycle actions with their audit trail, rules
CRUD with clear errors, CAP intake, the public AQI per station."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cityioc.core.settings import Settings
from cityioc.web.app import create_app
from tests.alerts.conftest import FLOOD_RULE
from tests.alerts.test_cap import CAP_ALERT

ADMIN = "cio_test_admin-key-for-alerts-tests"


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=database_url, admin_key=ADMIN, environment="test", aqi_interval_s=0
    )
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {ADMIN}"}) as c:
        yield c


def key(client: TestClient, role: str) -> dict[str, str]:
    made = client.post("/api/v1/admin/keys", json={"role": role, "name": role})
    assert made.status_code in (200, 201), made.text
    return {"Authorization": f"Bearer {made.json()['key']}"}


def _station(client: TestClient, level: float) -> None:
    body = {
        "id": "urn:ngsi-ld:FloodMonitoring:binh-hoa",
        "type": "FloodMonitoring",
        "name": {"type": "Property", "value": "Ngã tư Bình Hòa"},
        "areaServed": {"type": "Property", "value": "Thuận An"},
        "alertLevel": {"type": "Property", "value": 0.2},
        "currentLevel": {"type": "Property", "value": level},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [106.715, 10.91]},
        },
    }
    assert client.post("/ngsi-ld/v1/entities", json=body).status_code == 201


def _wait_for_alerts(client: TestClient, n: int) -> list[dict[str, Any]]:
    engine = client.app.state.alerts.engine  # type: ignore[attr-defined]
    client.portal.call(engine.idle)  # type: ignore[union-attr]
    items: list[dict[str, Any]] = client.get("/api/v1/alerts").json()["items"]
    assert len(items) == n, items
    return items


def test_rules_are_created_validated_listed_replaced_and_deleted(client: TestClient) -> None:
    made = client.post("/api/v1/alert-rules", json={**FLOOD_RULE, "for": "PT1M"})
    assert made.status_code == 201, made.text
    assert made.json()["rule"]["for"] == "1m" and made.json()["valid"]
    again = client.post("/api/v1/alert-rules", json=FLOOD_RULE)
    assert again.status_code == 409
    bad = client.post(
        "/api/v1/alert-rules",
        json={**FLOOD_RULE, "id": "bad", "for": "ten minutes", "when": {"attribute": "x"}},
    )
    assert bad.status_code == 400
    detail = bad.json()["detail"]
    assert "for: 'ten minutes' is not a duration" in detail and "needs an op" in detail
    viewer = key(client, "viewer")
    assert client.get("/api/v1/alert-rules", headers=viewer).json()["items"][0]["id"] == "flood"
    assert client.post("/api/v1/alert-rules", json=FLOOD_RULE, headers=viewer).status_code == 403
    operator = key(client, "operator")
    assert client.delete("/api/v1/alert-rules/flood", headers=operator).status_code == 403
    changed = {**FLOOD_RULE, "for": "5m"}
    assert client.put("/api/v1/alert-rules/flood", json=changed).json()["rule"]["for"] == "5m"
    other = client.put("/api/v1/alert-rules/flood", json={**FLOOD_RULE, "id": "other"})
    assert other.status_code == 400
    assert client.delete("/api/v1/alert-rules/flood").status_code == 204
    assert client.get("/api/v1/alert-rules/flood").status_code == 404


def test_an_operator_acknowledges_comments_and_clears_with_an_audit_trail(
    client: TestClient,
) -> None:
    assert client.post("/api/v1/alert-rules", json={**FLOOD_RULE, "for": "0s"}).status_code == 201
    _station(client, 0.5)
    [alert] = _wait_for_alerts(client, 1)
    assert alert["status"] == "active" and alert["subCategory"] == "flood"
    assert alert["title"]["vi"].startswith("Ngập tại Ngã tư Bình Hòa")
    alert_id = alert["id"]
    viewer, operator = key(client, "viewer"), key(client, "operator")
    assert client.get(f"/api/v1/alerts/{alert_id}", headers=viewer).status_code == 200
    denied = client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=viewer)
    assert denied.status_code == 403
    assert client.get("/api/v1/alerts", headers={"Authorization": ""}).status_code == 401
    acked = client.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=operator).json()
    assert acked["acknowledged"] is True and acked["acknowledgedBy"].startswith("key:")
    said = client.post(
        f"/api/v1/alerts/{alert_id}/comments", json={"text": "Đã cử đội bơm"}, headers=operator
    )
    assert said.status_code == 201 and said.json()["comments"][0]["text"] == "Đã cử đội bơm"
    assert client.post(f"/api/v1/alerts/{alert_id}/comments", json={"text": ""}).status_code == 400
    cleared = client.post(f"/api/v1/alerts/{alert_id}/clear", headers=operator).json()
    assert cleared["status"] == "cleared"
    detail = client.get(f"/api/v1/alerts/{alert_id}").json()
    actions = [r["action"] for r in detail["auditTrail"]]
    assert actions == ["alert-clear", "alert-comment", "alert-acknowledge", "alert-raise"]
    assert detail["auditTrail"][2]["detail"]["after"]["acknowledged"] is True
    assert client.get("/api/v1/alerts/urn:ngsi-ld:Alert:nope").status_code == 404
    # Filters.
    assert client.get("/api/v1/alerts?status=active").json()["total"] == 0
    assert client.get("/api/v1/alerts?status=cleared&severity=high").json()["total"] == 1
    assert client.get("/api/v1/alerts?area=thuan an").json()["total"] == 1
    assert client.get("/api/v1/alerts?area=an").json()["total"] == 0  # the whole name, not part
    assert client.get("/api/v1/alerts?area=Dĩ An").json()["total"] == 0
    assert client.get("/api/v1/alerts?bbox=106.7,10.9,106.8,11.0").json()["total"] == 1
    assert client.get("/api/v1/alerts?bbox=107,10,108,11").json()["total"] == 0
    assert client.get("/api/v1/alerts?acknowledged=false").json()["total"] == 0
    assert client.get("/api/v1/alerts?status=a'b").status_code == 400


def test_cap_messages_are_taken_and_bad_ones_refused(client: TestClient) -> None:
    operator = key(client, "operator")
    headers = {**operator, "Content-Type": "application/cap+xml"}
    taken = client.post("/api/v1/alerts/cap", content=CAP_ALERT, headers=headers)
    assert taken.status_code == 200, taken.text
    [entry] = taken.json()["alerts"]
    assert entry["what"] == "raised"
    again = client.post("/api/v1/alerts/cap", content=CAP_ALERT, headers=headers)
    assert again.status_code == 202 and again.json()["ignored"]
    broken = client.post("/api/v1/alerts/cap", content=b"<alert", headers=headers)
    assert broken.status_code == 400 and "not well-formed" in broken.json()["detail"]
    json_body = client.post("/api/v1/alerts/cap", json={"a": 1}, headers=operator)
    assert json_body.status_code == 415
    viewer = {**key(client, "viewer"), "Content-Type": "application/xml"}
    assert client.post("/api/v1/alerts/cap", content=CAP_ALERT, headers=viewer).status_code == 403
    alert = client.get(f"/api/v1/alerts/{entry['id']}").json()
    assert alert["capIdentifier"] == "KTTV-2026-0815" and alert["capCategory"] == "Met"


def test_aqi_per_station_is_public_in_the_asked_language(client: TestClient) -> None:
    body = {
        "id": "urn:ngsi-ld:AirQualityObserved:vsip",
        "type": "AirQualityObserved",
        "name": {"type": "Property", "value": "VSIP I"},
        "airQualityIndex": {"type": "Property", "value": 125, "observedAt": "2026-01-14T15:00:00Z"},
        "airQualityLevel": {"type": "Property", "value": "kem"},
        "airQualityIndexUS": {"type": "Property", "value": 160},
        "airQualityLevelUS": {"type": "Property", "value": "unhealthy"},
        "dominantPollutant": {"type": "Property", "value": "pm25"},
    }
    assert client.post("/ngsi-ld/v1/entities", json=body).status_code == 201
    public = {"Authorization": ""}
    vi = client.get("/api/v1/aqi/stations", headers=public)
    assert vi.status_code == 200
    [station] = vi.json()["items"]
    assert station["aqi"] == 125 and station["category"]["name"] == "Kém"
    assert station["category"]["colour"] == "#FF7E00" and station["observedAt"].startswith("2026")
    assert "hen suyễn" in station["category"]["adviceSensitive"]
    en = client.get("/api/v1/aqi/stations?lang=en&scale=us", headers=public).json()
    assert en["items"][0]["aqi"] == 160 and en["items"][0]["category"]["name"] == "Unhealthy"
    assert client.get("/api/v1/aqi/stations?lang=fr", headers=public).status_code == 400

"""What the new-incident form sends (issue 5/6): a picked point checked against the city, the area
under a point, an explicit procedure (recorded in the audit) and the procedures offered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cityioc.core.clock import FakeClock
from cityioc.packs import Pack
from tests.incidents.helpers import app_with_pack, new_key

ADMIN_KEY = "cio_test_admin-key-for-form-choices"
POINT = {"type": "Point", "coordinates": [106.655, 10.985]}  # Phường Thủ Dầu Một


@pytest.fixture
def api(
    database_url: str, tmp_path: Path, pack: Pack, clock: FakeClock
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with app_with_pack(database_url, tmp_path, pack, clock, ADMIN_KEY, as_admin=True) as (
        client,
        city,
    ):
        key = new_key(client, city, "operator", "operator", None)
        yield client, {"Authorization": f"Bearer {key}"}


def problem(response: Any) -> str:
    assert response.status_code == 400, response.text
    detail: str = response.json()["detail"]
    return detail


def test_choices_offer_the_procedures_with_their_categories(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    client, op = api
    sops = {s["id"]: s for s in client.get("/api/v1/incidents/choices", headers=op).json()["sops"]}
    assert sops["flood"]["categories"] == ["ngap-nuoc"]
    assert sops["flood"]["name"]["vi"] and sops["flood"]["name"]["en"]
    assert sops["sensor-outage"]["categories"] == []  # any category


def test_picked_point_places_the_incident_and_an_explicit_sop_is_audited(
    api: tuple[TestClient, dict[str, str]],
) -> None:
    client, op = api
    body = {"title": "Ngập", "category": "ngap-nuoc", "location": POINT, "sop": "sensor-outage"}
    made = client.post("/api/v1/incidents", headers=op, json=body)
    assert made.status_code == 201, made.text
    incident = made.json()
    assert incident["sop"] == "sensor-outage"  # the operator's choice, not the category's flood
    assert incident["location"] == POINT and incident["area"]
    [create] = [r for r in incident["audit"] if r["action"] == "incident-create"]
    assert create["detail"]["after"]["sop"] == "sensor-outage"

    automatic = client.post(
        "/api/v1/incidents", headers=op, json={"title": "Ngập", "category": "ngap-nuoc"}
    )
    assert automatic.json()["sop"] == "flood"


def test_bad_procedure_and_location_are_clear_400s(api: tuple[TestClient, dict[str, str]]) -> None:
    client, op = api

    def post(**extra: Any) -> Any:
        return client.post("/api/v1/incidents", headers=op, json={"title": "Ngập", **extra})

    assert "unknown procedure 'nope'" in problem(post(sop="nope"))
    swapped = problem(post(location={"type": "Point", "coordinates": [10.985, 106.655]}))
    assert "outside WGS 84" in swapped or "latitude" in swapped or "outside" in swapped
    far = problem(post(location={"type": "Point", "coordinates": [105.85, 21.03]}))  # Hà Nội
    assert "outside the city" in far and "coordinates are [lon, lat]" in far
    line = {"type": "LineString", "coordinates": [[106.65, 10.98], [106.66, 10.99]]}
    assert "a new incident is placed by a GeoJSON Point" in problem(post(location=line))
    assert "location" in problem(post(location={"type": "Point", "coordinates": ["x", 1]}))


def test_area_at_a_point(api: tuple[TestClient, dict[str, str]]) -> None:
    client, op = api
    url = "/api/v1/incidents/area-at"
    found = client.get(url, headers=op, params={"lon": 106.655, "lat": 10.985}).json()["area"]
    made = client.post(
        "/api/v1/incidents", headers=op, json={"title": "Ngập", "location": POINT}
    ).json()
    assert found["code"] == made["area"] and found["name"]["vi"].startswith("Phường")
    far = problem(client.get(url, headers=op, params={"lon": 105.85, "lat": 21.03}))
    assert "outside the city" in far
    assert client.get(url, headers=op, params={"lon": 200, "lat": 10}).status_code == 400
    anon = {"Authorization": ""}
    assert client.get(url, headers=anon, params={"lon": 106.655, "lat": 10.985}).status_code == 401

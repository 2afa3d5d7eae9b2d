"""The catalogue admin API (both backends): admin only, clear 400s, and edits that the next
incident's routing and procedure follow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cityioc.core.clock import FakeClock
from cityioc.packs import Pack
from tests.incidents.helpers import app_with_pack, new_key

ADMIN_KEY = "cio_test_admin-key-for-catalogue"
ORG = "urn:ngsi-ld:Organization:"
WARD = "25747"  # Phường Thủ Dầu Một
AIR = {
    "title": {"vi": "Bụi mịn vượt ngưỡng", "en": "Fine dust above the limit"},
    "category": "o-nhiem-khong-khi",
    "capSeverity": "Moderate",
    "area": WARD,
}
WARD_TEAM = {
    "id": "doi-moi-truong-tdm",
    "kind": "other",
    "name": {"vi": "Đội môi trường phường Thủ Dầu Một", "en": "Thủ Dầu Một ward environment team"},
    "areas": [WARD],
    "categories": ["o-nhiem-khong-khi"],
    "email": "moitruong@tdm.example.vn",
}


@pytest.fixture
def api(
    database_url: str, tmp_path: Path, pack: Pack, clock: FakeClock
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with app_with_pack(database_url, tmp_path, pack, clock, ADMIN_KEY) as (client, city):
        keys = {"admin": ADMIN_KEY, "operator": new_key(client, city, "operator", "operator")}
        yield client, {who: f"Bearer {key}" for who, key in keys.items()}


def as_(keys: dict[str, str], who: str) -> dict[str, str]:
    return {"Authorization": keys[who]}


def problem(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    return str(body["detail"])


def test_admin_only(api: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = api
    for path in ("areas", "categories", "agencies", "agencies/stnmt", "sops", "sops/flood"):
        url = f"/api/v1/admin/{path}"
        assert client.get(url, headers=as_(keys, "admin")).status_code == 200, url
        problem(client.get(url, headers=as_(keys, "operator")), 403)
        problem(client.get(url), 401)
    problem(
        client.post("/api/v1/admin/agencies", headers=as_(keys, "operator"), json=WARD_TEAM), 403
    )
    problem(client.put("/api/v1/admin/sops/flood", json={}), 401)


def test_lists(api: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = api
    admin = as_(keys, "admin")
    areas = {a["code"]: a for a in client.get("/api/v1/admin/areas", headers=admin).json()["items"]}
    ward = areas[WARD]
    assert ward["name"]["vi"] == "Phường Thủ Dầu Một" and ward["level"] == "commune"
    assert ward["parent"] in areas
    assert "ioc" in areas["74"]["agencies"]
    agencies = client.get("/api/v1/admin/agencies", headers=admin).json()["items"]
    stnmt = next(a for a in agencies if a["id"] == "stnmt")
    assert stnmt["kind"] == "department" and stnmt["short_name"]["en"] == "DONRE"
    assert "o-nhiem-khong-khi" in stnmt["categories"] and stnmt["problems"] == []
    categories = client.get("/api/v1/admin/categories", headers=admin).json()["items"]
    assert {"code": "ngap-nuoc", "defaultAgency": "sxd"}.items() <= next(
        c for c in categories if c["code"] == "ngap-nuoc"
    ).items()
    flood = client.get("/api/v1/admin/sops/flood", headers=admin).json()
    assert flood["steps"][0]["key"] == "warn-residents" and flood["steps"][0]["expected"] == 15


def test_agency_edit_routes_the_next_incident(api: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = api
    admin, op = as_(keys, "admin"), as_(keys, "operator")
    before = client.post("/api/v1/incidents", headers=op, json=AIR)
    assert before.status_code == 201 and before.json()["agency"] == f"{ORG}stnmt"

    made = client.post("/api/v1/admin/agencies", headers=admin, json=WARD_TEAM)
    assert made.status_code == 201, made.text
    assert made.json()["email"] == WARD_TEAM["email"] and made.json()["problems"] == []
    problem(client.post("/api/v1/admin/agencies", headers=admin, json=WARD_TEAM), 409)
    # the ward's own team is more local than the province's department: it leads now
    routed = client.post("/api/v1/incidents", headers=op, json=AIR).json()
    assert routed["agency"] == f"{ORG}{WARD_TEAM['id']}"

    changed = {**WARD_TEAM, "categories": ["tieng-on"]}
    del changed["email"]
    put = client.put(f"/api/v1/admin/agencies/{WARD_TEAM['id']}", headers=admin, json=changed)
    assert put.status_code == 200, put.text
    assert "email" not in put.json()  # a removed field goes
    again = client.post("/api/v1/incidents", headers=op, json=AIR).json()
    assert again["agency"] == f"{ORG}stnmt"

    trail = client.get(
        "/api/v1/audit", headers=admin, params={"subject": f"{ORG}{WARD_TEAM['id']}"}
    ).json()
    assert {r["action"] for r in trail} >= {"create", "replace"}
    assert all(r["actor"].startswith("key:") for r in trail)


def test_agency_problems_are_400_with_the_field(api: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = api
    admin = as_(keys, "admin")
    url = "/api/v1/admin/agencies/stnmt"
    stnmt = client.get(url, headers=admin).json()
    cases = [
        ({**stnmt, "areas": []}, "areas"),
        ({**stnmt, "areas": ["99999"]}, "areas: unknown '99999'"),
        ({**stnmt, "categories": ["no-such"]}, "categories: unknown 'no-such'"),
        ({**stnmt, "kind": "club"}, "kind"),
        ({**stnmt, "name": {"vi": "Sở"}}, "name.en"),
        ({**stnmt, "email": "not an address"}, "email"),
        ({**stnmt, "oops": 1}, "oops"),
        ({**stnmt, "id": "other"}, "id"),
        ({**stnmt, "valid_from": "2026-01-01", "valid_to": "2025-01-01"}, "valid_to"),
    ]
    for body, field in cases:
        assert field in problem(client.put(url, headers=admin, json=body), 400), body
    problem(client.put(url, headers=admin, content=b"[1"), 400)
    problem(client.put(url, headers=admin, json=[1]), 400)
    nobody = {**stnmt, "id": "nobody"}
    problem(client.put("/api/v1/admin/agencies/nobody", headers=admin, json=nobody), 404)
    template = {**WARD_TEAM, "id": "ubnd-{code}"}
    assert "id" in problem(client.post("/api/v1/admin/agencies", headers=admin, json=template), 400)
    # nothing was written: routing still sees the pack's agency
    assert client.get(url, headers=admin).json() == stnmt


def test_sop_edit_applies_to_new_incidents(api: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = api
    admin, op = as_(keys, "admin"), as_(keys, "operator")
    url = "/api/v1/admin/sops/flood"
    flood = client.get(url, headers=admin).json()
    steps = flood["steps"]
    steps[0] = {**steps[0], "title": {"vi": "Phát loa cảnh báo", "en": "Sound the warning"}}
    steps[0]["expected"] = "1h30m"
    saved = client.put(url, headers=admin, json={**flood, "steps": steps})
    assert saved.status_code == 200, saved.text
    assert saved.json()["steps"][0]["expected"] == 90

    body = {"title": "Ngập", "category": "ngap-nuoc", "area": WARD, "sop": "flood"}
    incident = client.post("/api/v1/incidents", headers=op, json=body).json()
    first = incident["activities"][0]
    assert first["title"]["en"] == "Sound the warning"

    bad = {**flood, "steps": [{**steps[0], "role": "mayor"}]}
    assert "steps[0].role" in problem(client.put(url, headers=admin, json=bad), 400)
    bad = {**flood, "steps": [{**steps[0], "expected": "soon"}]}
    assert "steps[0].expected" in problem(client.put(url, headers=admin, json=bad), 400)
    assert "steps" in problem(client.put(url, headers=admin, json={**flood, "steps": []}), 400)
    twice = {**flood, "steps": [steps[0], steps[0]]}
    assert "unique" in problem(client.put(url, headers=admin, json=twice), 400)
    unknown = {**flood, "categories": ["nowhere"]}
    assert "nowhere" in problem(client.put(url, headers=admin, json=unknown), 400)

    made = client.post(
        "/api/v1/admin/sops",
        headers=admin,
        json={**flood, "id": "flood-short", "alert_sub_categories": [], "steps": steps[:1]},
    )
    assert made.status_code == 201, made.text
    ids = [s["id"] for s in client.get("/api/v1/admin/sops", headers=admin).json()["items"]]
    assert "flood-short" in ids

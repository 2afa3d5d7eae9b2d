"""The hot routes served ahead of FastAPI's router answer exactly as the FastAPI routes did."""

from __future__ import annotations

from fastapi.testclient import TestClient

from cityioc.web.direct_routes import DirectRoute

BASE = "/ngsi-ld/v1"
EID = "urn:ngsi-ld:WeatherObserved:direct-1"
ATTRS = f"{BASE}/entities/{EID}/attrs"
READING = {"temperature": {"type": "Property", "value": 27.5, "observedAt": "2026-11-25T10:00:00Z"}}


def _create(client: TestClient) -> None:
    body = {"id": EID, "type": "WeatherObserved", **READING}
    assert client.post(f"{BASE}/entities", json=body).status_code == 201


def test_patch_of_attrs_is_served_directly_with_its_metrics_label(client: TestClient) -> None:
    first = client.app.router.routes[0]  # type: ignore[attr-defined]
    assert isinstance(first, DirectRoute) and first.path == "/ngsi-ld/v1/entities/{entity_id}/attrs"
    _create(client)
    later = {"temperature": {"type": "Property", "value": 29, "observedAt": "2026-11-25T10:05:00Z"}}
    assert client.patch(ATTRS, json=later).status_code == 204
    got = client.get(f"{BASE}/entities/{EID}", params={"options": "keyValues"}).json()
    assert got["temperature"] == 29
    history = client.get(f"{BASE}/temporal/entities/{EID}", params={"attrs": "temperature"})
    assert [i["value"] for i in history.json()["temperature"]] == [27.5, 29]
    metrics = client.get("/metrics").text
    assert (
        'cityioc_http_requests_total{method="PATCH",route="/ngsi-ld/v1/entities/{entity_id}/attrs"'
        ',status="204"} 1.0'
    ) in metrics


def test_errors_are_the_same_problem_details(client: TestClient) -> None:
    _create(client)
    missing = client.patch(f"{BASE}/entities/urn:ngsi-ld:X:none/attrs", json=READING)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/json"
    assert missing.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"
    bad_json = client.patch(ATTRS, content=b"{", headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400
    assert bad_json.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/InvalidRequest"
    wrong_type = client.patch(ATTRS, content=b"{}", headers={"Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    bad_tenant = client.patch(ATTRS, json=READING, headers={"NGSILD-Tenant": "no such/tenant"})
    assert bad_tenant.status_code == 400
    assert bad_tenant.json()["type"].endswith("/BadRequestData")
    anonymous = client.patch(ATTRS, json=READING, headers={"Authorization": ""})
    assert anonymous.status_code in (401, 403)
    partly = client.patch(ATTRS, json={**READING, "nope": {"type": "Property", "value": 1}})
    assert partly.status_code == 207 and partly.json()["notUpdated"][0]["attributeName"] == "nope"


def test_other_methods_on_the_path_reach_the_routes_behind(client: TestClient) -> None:
    _create(client)
    appended = client.post(ATTRS, json={"humidity": {"type": "Property", "value": 80}})
    assert appended.status_code == 204
    with_direct = client.put(ATTRS, json=READING)
    routes = client.app.router.routes  # type: ignore[attr-defined]
    direct = [r for r in routes if isinstance(r, DirectRoute)]
    for route in direct:
        routes.remove(route)
    try:
        without = client.put(ATTRS, json=READING)
    finally:
        routes[:0] = direct
    assert with_direct.status_code == without.status_code == 405
    assert with_direct.headers.get("allow") == without.headers.get("allow")


def test_openapi_still_documents_the_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "patch" in paths["/ngsi-ld/v1/entities/{entity_id}/attrs"]

"""Operations endpoints, key administration and the bulk readings endpoint."""

from __future__ import annotations

from fastapi.testclient import TestClient

PUBLIC = {"Authorization": ""}
EID = "urn:ngsi-ld:AirQualityObserved:r1"


def test_health_ready_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    client.post("/api/v1/readings", json=[{"entity": EID, "attribute": "pm25", "value": 1}])
    text = client.get("/metrics").text
    assert (
        'cityioc_http_requests_total{method="POST",route="/api/v1/readings",status="200"} 1.0'
        in text
    )
    assert "cityioc_readings_ingested_total 1.0" in text
    assert "cityioc_db_pool_connections" in text
    assert "cityioc_rule_engine_leading 1.0" in text  # one process: its engine evaluates
    assert "cityioc_rule_engine_dropped 0.0" in text


def test_keys_are_created_once_listed_without_secret_and_revoked(client: TestClient) -> None:
    made = client.post("/api/v1/admin/keys", json={"role": "ingest", "name": "gateway VSIP"})
    assert made.status_code == 201
    key, key_id = made.json()["key"], made.json()["id"]
    listed = client.get("/api/v1/admin/keys").json()
    assert key_id in [k["id"] for k in listed] and all("key" not in k for k in listed)
    as_ingest = {"Authorization": f"Bearer {key}"}
    ok = client.post(
        "/api/v1/readings",
        json=[{"entity": EID, "attribute": "pm25", "value": 2}],
        headers=as_ingest,
    )
    assert ok.status_code == 200
    assert client.get("/api/v1/admin/keys", headers=as_ingest).status_code == 403
    assert client.delete(f"/api/v1/admin/keys/{key_id}").status_code == 204
    trail = client.get("/api/v1/audit", params={"subject": f"key:{key_id}"}).json()
    assert [(a["action"], a["actor"].startswith("key:")) for a in trail] == [
        ("revoke-key", True),
        ("create-key", True),
    ]
    again = client.post(
        "/api/v1/readings",
        json=[{"entity": EID, "attribute": "pm25", "value": 3}],
        headers=as_ingest,
    )
    assert again.status_code == 401
    bad_role = client.post("/api/v1/admin/keys", json={"role": "mayor", "name": "x"})
    assert bad_role.status_code == 400 and "mayor" in bad_role.json()["detail"]
    x_api = client.get("/api/v1/admin/keys", headers={"Authorization": "", "X-API-Key": key})
    assert x_api.status_code == 401


def test_readings_report_bad_items_and_keep_good_ones(client: TestClient) -> None:
    body = [
        {"entity": EID, "attribute": "pm25", "value": 10, "observedAt": "2026-11-25T10:00:00Z"},
        {"entity": EID, "attribute": "pm25", "value": None},
        {"entity": "not-a-uri", "attribute": "pm25", "value": 1},
        {"entity": EID, "attribute": "pm25", "value": 11, "observedAt": "25/11/2026"},
        {"entity": "urn:x:thing", "attribute": "level", "value": 1},
        "garbage",
        {
            "entity": EID,
            "attribute": "pm10",
            "value": 30,
            "observedAt": "2026-11-25T10:00:00Z",
            "unitCode": "GQ",
        },
    ]
    r = client.post("/api/v1/readings", json=body)
    assert r.status_code == 207
    out = r.json()
    assert out["accepted"] == 2 and out["rejected"] == 5
    assert [e["index"] for e in out["errors"]] == [1, 2, 3, 4, 5]
    assert "observedAt" in out["errors"][2]["error"]["detail"]
    assert "no type" in out["errors"][3]["error"]["detail"]
    got = client.get(f"/ngsi-ld/v1/entities/{EID}").json()
    assert got["pm25"]["value"] == 10 and got["pm10"] == {
        "type": "Property",
        "value": 30,
        "observedAt": "2026-11-25T10:00:00.000Z",
        "unitCode": "GQ",
    }


def test_readings_keep_the_latest_as_current_value(client: TestClient) -> None:
    late_first = [
        {"entity": EID, "attribute": "pm25", "value": 2, "observedAt": "2026-11-25T10:02:00Z"},
        {"entity": EID, "attribute": "pm25", "value": 1, "observedAt": "2026-11-25T10:01:00Z"},
    ]
    assert client.post("/api/v1/readings", json=late_first).status_code == 200
    older = [{"entity": EID, "attribute": "pm25", "value": 0, "observedAt": "2026-11-25T09:00:00Z"}]
    assert client.post("/api/v1/readings", json=older).status_code == 200
    assert client.get(f"/ngsi-ld/v1/entities/{EID}").json()["pm25"]["value"] == 2


def test_ndjson_limits_and_auth(client: TestClient) -> None:
    lines = b'{"entity": "%s", "attribute": "pm25", "value": 5}\n{broken\n' % EID.encode()
    r = client.post(
        "/api/v1/readings", content=lines, headers={"Content-Type": "application/x-ndjson"}
    )
    assert r.status_code == 207 and r.json()["accepted"] == 1
    assert r.json()["errors"][0]["error"]["detail"].startswith("line 2")
    assert client.post("/api/v1/readings", json=[], headers=PUBLIC).status_code == 401
    auto_off = client.post(
        "/api/v1/readings",
        params={"autoCreate": "false"},
        json=[{"entity": "urn:ngsi-ld:AirQualityObserved:new", "attribute": "pm25", "value": 1}],
    )
    assert auto_off.status_code == 207 and "auto-create is off" in auto_off.text
    huge = b"[" + b",".join([b'{"entity":"urn:a:b","attribute":"x","value":1}'] * 400_000) + b"]"
    too_big = client.post(
        "/api/v1/readings", content=huge, headers={"Content-Type": "application/json"}
    )
    assert too_big.status_code == 413


def test_a_closed_deployment_serves_no_public_reads(database_url: str) -> None:
    from cityioc.core.settings import Settings
    from cityioc.web.app import create_app

    settings = Settings(database_url=database_url, require_auth_for_reads=True, environment="test")
    with TestClient(create_app(settings)) as closed:
        r = closed.get("/ngsi-ld/v1/entities", params={"type": "AirQualityObserved"})
        assert r.status_code == 401 and r.json()["type"].endswith("/Unauthorized")
        assert closed.get("/healthz").status_code == 200

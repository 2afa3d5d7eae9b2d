"""The server with MQTT on: /readyz and /metrics report it; the dead-letters API (admin only)
lists, shows, replays a corrected message (stored once) and purges."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import orjson
import pytest
from fastapi.testclient import TestClient

from cityioc.core.clock import iso_ms
from cityioc.core.settings import Settings
from cityioc.web.app import create_app
from tests.services import forget_mqtt_session, mqtt_publish, require_mqtt

ADMIN = "cio_test_admin-key-for-mqtt-tests"
pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def root() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def client(database_url: str, root: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=database_url,
        admin_key=ADMIN,
        environment="test",
        mqtt_url=require_mqtt(),
        mqtt_topic_root=root,
        mqtt_client_id=root,
        mqtt_session_expiry_s=60,
    )
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {ADMIN}"}) as c:
        wait_for(lambda: c.get("/readyz").status_code == 200, "not ready")
        yield c
    forget_mqtt_session(f"{root}-serve")


def wait_for(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_readiness_and_metrics_report_mqtt(client: TestClient, root: str) -> None:
    assert client.get("/readyz").json()["checks"]["mqtt"] == "ok"
    at = iso_ms(int(time.time() * 1000) - 1000)
    topic = f"{root}/default/AirQualityObserved/m1/attrs"
    mqtt_publish([(topic, orjson.dumps({"pm25": 5, "observedAt": at})), (topic, b"oops")])
    wait_for(lambda: "cityioc_mqtt_messages_total 2.0" in client.get("/metrics").text, "no count")
    text = client.get("/metrics").text
    assert "cityioc_mqtt_readings_total 1.0" in text
    assert 'cityioc_dead_letters_total{reason="malformed_json",source="mqtt"} 1.0' in text
    assert "cityioc_mqtt_connected 1.0" in text


def test_dead_letters_are_listed_shown_replayed_once_and_purged(
    client: TestClient, root: str
) -> None:
    topic = f"{root}/default/WaterObserved/river-1/attrs"
    at = iso_ms(int(time.time() * 1000) - 5000)
    mqtt_publish([(topic, b'{"temperature": 28.5, "observedAt": "' + at.encode() + b'"')])
    wait_for(lambda: client.get("/api/v1/dead-letters").json()["total"] == 1, "no dead letter")
    listed = client.get("/api/v1/dead-letters", params={"reason": "malformed_json"}).json()
    item = listed["items"][0]
    assert item["source"] == topic and item["sourceKind"] == "mqtt" and item["status"] == "new"
    assert "payload" not in item
    shown = client.get(f"/api/v1/dead-letters/{item['id']}").json()
    assert (
        shown["payload"].startswith('{"temperature": 28.5') and shown["clientId"] == f"{root}-serve"
    )

    fixed = orjson.dumps({"temperature": 28.5, "observedAt": at})
    replayed = client.post(f"/api/v1/dead-letters/{item['id']}/replay", content=fixed).json()
    assert replayed == {"id": item["id"], "replayed": True, "stored": 1, "problems": []}
    assert (
        client.post(f"/api/v1/dead-letters/{item['id']}/replay", content=fixed).status_code == 409
    )
    forced = client.post(
        f"/api/v1/dead-letters/{item['id']}/replay", params={"force": "true"}, content=fixed
    )
    assert forced.status_code == 200
    series = client.get(
        "/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:WaterObserved:river-1",
        params={"timerel": "after", "timeAt": "2026-01-01T00:00:00Z", "lastN": 100},
    ).json()
    temps = series["temperature"]
    assert len(temps if isinstance(temps, list) else [temps]) == 1  # stored once

    assert client.get(f"/api/v1/dead-letters/{item['id']}").json()["status"] == "replayed"
    assert client.delete(f"/api/v1/dead-letters/{item['id']}").status_code == 204
    assert client.get(f"/api/v1/dead-letters/{item['id']}").json()["status"] == "purged"
    assert client.delete("/api/v1/dead-letters/999999").status_code == 404
    mqtt_publish([(topic, b"[")] * 3)
    wait_for(
        lambda: client.get("/api/v1/dead-letters", params={"status": "new"}).json()["total"] == 3,
        "three new dead letters",
    )
    assert client.post("/api/v1/dead-letters/purge", json={"status": "new"}).json() == {"purged": 3}


def test_only_admins_see_dead_letters(client: TestClient) -> None:
    key = client.post("/api/v1/admin/keys", json={"role": "operator", "name": "op"}).json()["key"]
    operator = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/dead-letters", headers=operator).status_code == 403
    assert client.get("/api/v1/dead-letters", headers={"Authorization": ""}).status_code in (
        400,
        401,
    )
    assert client.post("/api/v1/dead-letters/1/replay", headers=operator).status_code == 403


def test_readiness_fails_while_the_broker_is_unreachable(database_url: str, root: str) -> None:
    from tests.e2e.server import free_port

    settings = Settings(
        database_url=database_url,
        admin_key=ADMIN,
        environment="test",
        mqtt_url=f"mqtt://127.0.0.1:{free_port()}",  # nothing listens there
        mqtt_topic_root=root,
        mqtt_client_id=root,
    )
    with TestClient(create_app(settings)) as c:
        time.sleep(0.3)
        ready = c.get("/readyz")
        assert ready.status_code == 503
        checks = ready.json()["checks"]
        assert checks["mqtt"] == "unavailable" and checks["database"] == "ok"
        assert "cityioc_mqtt_connected 0.0" in c.get("/metrics").text

"""A server with the rule engine and a separate MQTT ingest worker on one PostgreSQL, joined by
NATS: what the worker stores is evaluated by the server's engine (the worker runs none and marks
its changes unevaluated) and shows on the server's live stream — one alert, not none, not two."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from cityioc.core.clock import iso_ms
from tests.alerts.conftest import FLOOD_RULE
from tests.e2e.live import start_listening
from tests.e2e.server import ServerProcess
from tests.services import (
    create_postgres_database,
    drop_postgres_database,
    forget_mqtt_session,
    mqtt_publish,
    require_mqtt,
    require_nats,
)

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.timeout(120)]
ADMIN = "e2e-worker-alerts-admin-key"
GAUGE = "urn:ngsi-ld:FloodMonitoring:fw-alert"


def _alerts(http: httpx.Client) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = http.get("/api/v1/alerts", params={"status": "active"}).json()[
        "items"
    ]
    return [a for a in found if a.get("alertSource") == GAUGE]


def test_what_a_worker_stores_raises_one_alert_in_the_server(tmp_path: Path) -> None:
    nats_url, mqtt_url = require_nats(), require_mqtt()
    database = create_postgres_database("cityioc_e2e")
    root = f"e2e-{uuid.uuid4().hex[:10]}"
    env = {
        "CITYIOC_NATS_URL": nats_url,
        "CITYIOC_NATS_SUBJECT_PREFIX": f"e2e{uuid.uuid4().hex[:8]}",
        "CITYIOC_MQTT_TOPIC_ROOT": root,
        "CITYIOC_MQTT_CLIENT_ID": root,
    }
    server = ServerProcess(database, ADMIN, tmp_path, env=env)
    worker: subprocess.Popen[bytes] | None = None
    http = httpx.Client(headers={"Authorization": f"Bearer {ADMIN}"})
    try:
        server.start()
        http.base_url = httpx.URL(server.url)
        rule = {**FLOOD_RULE, "for": "PT0S"}
        assert http.post("/api/v1/alert-rules", json=rule).status_code == 201
        now = int(time.time() * 1000)
        gauge = {
            "id": GAUGE,
            "type": "FloodMonitoring",
            "alertLevel": {"type": "Property", "value": 0.2},
            "currentLevel": {"type": "Property", "value": 0.05, "observedAt": iso_ms(now - 60_000)},
        }
        assert http.post("/ngsi-ld/v1/entities", json=gauge).status_code == 201
        events = start_listening(
            server.url,
            {"type": "FloodMonitoring"},
            headers={"Authorization": f"Bearer {ADMIN}"},
            wanted=lambda e: e.get("entity", {}).get("id") == GAUGE,
        )

        command = [sys.executable, "-m", "cityioc.cli", "ingest", "mqtt"]
        command += ["--mqtt-url", mqtt_url, "--database-url", database]
        with (tmp_path / "worker.log").open("ab") as log:
            worker = subprocess.Popen(
                command, env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
            )
        time.sleep(3.0)  # connected to the broker and to NATS
        topic = f"{root}/default/FloodMonitoring/fw-alert/attrs"
        mqtt_publish([(topic, orjson.dumps({"currentLevel": 0.6, "observedAt": iso_ms(now)}))])

        deadline = time.monotonic() + 20
        while not _alerts(http) and time.monotonic() < deadline:
            time.sleep(0.2)
        [alert] = _alerts(http)  # raised by the server's engine from the worker's change
        assert str(alert.get("refRule", "")).endswith("flood")
        assert events, "the worker's change reaches the server's live stream"
        time.sleep(1.0)
        assert len(_alerts(http)) == 1  # evaluated once
    finally:
        http.close()
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(30)
        server.stop()
        forget_mqtt_session(f"{root}-w0")
        drop_postgres_database(database)


def _gauge(eid: str, now: int) -> dict[str, Any]:
    return {
        "id": eid,
        "type": "FloodMonitoring",
        "alertLevel": {"type": "Property", "value": 0.2},
        "currentLevel": {"type": "Property", "value": 0.05, "observedAt": iso_ms(now - 60_000)},
    }


def _active(http: httpx.Client, source: str) -> list[dict[str, Any]]:
    found = http.get("/api/v1/alerts", params={"status": "active"}).json()["items"]
    return [a for a in found if a.get("alertSource") == source]


def _wait_for(http: httpx.Client, source: str, seconds: float) -> list[dict[str, Any]]:
    deadline = time.monotonic() + seconds
    while not _active(http, source) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # a second alert, if one were coming, has had its time too
    return _active(http, source)


def test_two_servers_evaluate_with_one_engine_and_hand_it_on(tmp_path: Path) -> None:
    database = create_postgres_database("cityioc_e2e")
    env = {
        "CITYIOC_NATS_URL": require_nats(),
        "CITYIOC_NATS_SUBJECT_PREFIX": f"e2e{uuid.uuid4().hex[:8]}",
    }
    a = ServerProcess(database, ADMIN, tmp_path, env=env)
    b = ServerProcess(database, ADMIN, tmp_path, env=env)
    headers = {"Authorization": f"Bearer {ADMIN}"}
    with httpx.Client(headers=headers) as to_a, httpx.Client(headers=headers) as to_b:
        try:
            a.start()  # the first holds the lease
            b.start()
            to_a.base_url, to_b.base_url = httpx.URL(a.url), httpx.URL(b.url)
            rule = {**FLOOD_RULE, "for": "PT0S"}
            assert to_a.post("/api/v1/alert-rules", json=rule).status_code == 201
            now = int(time.time() * 1000)
            first, second = f"{GAUGE}-1", f"{GAUGE}-2"
            for eid in (first, second):
                assert to_a.post("/ngsi-ld/v1/entities", json=_gauge(eid, now)).status_code == 201
            time.sleep(1.0)  # the rule has reached b's book too

            def rise(via: httpx.Client, eid: str) -> None:
                item = {"entity": eid, "attribute": "currentLevel", "value": 0.6,
                        "observedAt": iso_ms(int(time.time() * 1000))}  # fmt: skip
                assert via.post("/api/v1/readings", json=[item]).status_code in (200, 201, 207)

            rise(to_b, first)  # made in b, evaluated by a's engine: one alert, not two
            assert len(_wait_for(to_b, first, 15)) == 1
            a.stop()  # a clean stop hands the lease on
            time.sleep(7.0)  # b's next renewal (every 5 s) takes it
            rise(to_b, second)
            assert len(_wait_for(to_b, second, 15)) == 1
        finally:
            a.stop()
            b.stop()
            drop_postgres_database(database)

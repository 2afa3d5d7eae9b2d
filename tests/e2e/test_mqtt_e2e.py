"""End to end with the real server process and the real Mosquitto, on both backends: readings
sent over MQTT are all queryable, malformed ones are dead letters with reasons, and a SIGKILL in
the middle of a stream loses nothing and stores nothing twice (redelivered messages dedup)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from cityioc.core.clock import iso_ms
from tests.e2e.server import ServerProcess
from tests.services import forget_mqtt_session, mqtt_publish, require_mqtt

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]
ADMIN = "cio_e2e_admin-key-for-mqtt-tests"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
ATTRS = ("pm25", "pm10", "no2")


@pytest.fixture
def root() -> Iterator[str]:
    name = f"e2e-{uuid.uuid4().hex[:10]}"
    yield name
    forget_mqtt_session(f"{name}-serve")


@pytest.fixture
def server(database_url: str, tmp_path: Path, root: str) -> Iterator[ServerProcess]:
    env = {
        "CITYIOC_MQTT_URL": require_mqtt(),
        "CITYIOC_MQTT_TOPIC_ROOT": root,
        "CITYIOC_MQTT_CLIENT_ID": root,
        "CITYIOC_MQTT_SESSION_EXPIRY_S": "300",
    }
    proc = ServerProcess(database_url, ADMIN, tmp_path, env)
    proc.start()
    yield proc
    proc.stop()


def message(root: str, entity: str, i: int, start_ms: int) -> tuple[str, bytes]:
    body: dict[str, Any] = {a: float(i * 10 + k) for k, a in enumerate(ATTRS)}
    body["observedAt"] = iso_ms(start_ms + i * 1000)
    return f"{root}/default/AirQualityObserved/{entity}/attrs", orjson.dumps(body)


def stored(http: httpx.Client, entity: str, attr: str = "pm25") -> list[float]:
    r = http.get(
        f"/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:AirQualityObserved:{entity}",
        params={
            "format": "temporalValues",
            "timerel": "after",
            "timeAt": "2000-01-01T00:00:00Z",
            "lastN": 1_000_000,
        },
    )
    if r.status_code == 404:
        return []
    assert r.status_code == 200, r.text
    return [v[0] for v in r.json().get(attr, {}).get("values", [])]


def wait_for(check: Any, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_mqtt_readings_are_queryable_and_malformed_ones_dead_letters(
    server: ServerProcess, root: str
) -> None:
    n = 300
    start = int(time.time() * 1000) - 3_600_000
    good = [message(root, f"e2e-{i % 3}", i, start) for i in range(n)]
    bad = [
        (f"{root}/default/AirQualityObserved/e2e-0/attrs", b'{"pm25": '),
        (f"{root}/default/AirQualityObserved/e2e-0/attrs", b'{"pm25": 1, "observedAt": "soon"}'),
        (f"{root}/default/AirQualityObserved/e2e-0/attrs", b'"just a string"'),
    ]
    mqtt_publish(good[:150] + bad + good[150:])
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as http:
        wait_for(
            lambda: sum(len(stored(http, f"e2e-{e}")) for e in range(3)) == n, "readings missing"
        )
        for e in range(3):
            for k, attr in enumerate(ATTRS):
                expected = [float(i * 10 + k) for i in range(e, n, 3)]
                assert stored(http, f"e2e-{e}", attr) == expected
        letters = http.get("/api/v1/dead-letters", params={"sourceKind": "mqtt"}).json()
        assert letters["total"] == 3
        assert sorted(d["reason"] for d in letters["items"]) == [
            "invalid_payload",
            "invalid_time",
            "malformed_json",
        ]
        assert all(d["detail"] and d["source"].startswith(root) for d in letters["items"])


def test_sigkill_mid_stream_loses_nothing_and_stores_nothing_twice(
    server: ServerProcess, root: str
) -> None:
    total, rate = 1200, 200.0  # per second; keeps the broker's offline queue (1,000) in bounds
    start = int(time.time() * 1000) - 7_200_000
    messages = [message(root, "e2e-kill", i, start) for i in range(total)]
    published: list[int] = []

    def stream() -> None:
        began = time.monotonic()
        for chunk in range(0, total, 20):
            mqtt_publish(messages[chunk : chunk + 20])  # returns once the broker has them
            published.append(chunk + 20)
            time.sleep(max(0.0, began + (chunk + 20) / rate - time.monotonic()))

    sender = threading.Thread(target=stream)
    sender.start()
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as http:
        wait_for(lambda: len(stored(http, "e2e-kill")) >= 300, "nothing stored before the kill")
    server.kill()  # mid-stream: some messages committed but not acknowledged, some in flight
    assert published and published[-1] < total, "the stream ended before the kill"
    server.start()
    sender.join(30)
    assert published[-1] == total
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as http:
        wait_for(lambda: len(stored(http, "e2e-kill")) >= total, "readings lost across the kill")
        time.sleep(0.5)  # anything redelivered late would show up as a duplicate
        for k, attr in enumerate(ATTRS):
            values = stored(http, "e2e-kill", attr)
            assert values == [float(i * 10 + k) for i in range(total)]  # each exactly once
        counts = http.get(
            "/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:AirQualityObserved:e2e-kill",
            params={
                "format": "aggregatedValues",
                "aggrMethods": "totalCount",
                "aggrPeriodDuration": "PT1H",
                "timerel": "between",
                "timeAt": iso_ms(start - 3_600_000),
                "endTimeAt": iso_ms(start + 3_600_000),
            },
        ).json()["pm25"]["totalCount"]
        assert sum(row[0] for row in counts) == total  # aggregates count each reading once
        letters = http.get("/api/v1/dead-letters").json()
        assert letters["total"] == 0

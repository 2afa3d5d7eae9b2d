"""Subscriptions against real server processes: a receiver that is down while the server is
killed gets every notification in order after both come back; two processes sharing PostgreSQL
and NATS JetStream see each other's changes and deliver each notification once."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.live import start_listening, wait_for_event
from tests.e2e.server import ServerProcess
from tests.receiver import Receiver
from tests.services import create_postgres_database, drop_postgres_database, require_nats

pytestmark = pytest.mark.e2e
ADMIN = "cio_e2e_subscriptions-admin-key"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
AQ = "urn:ngsi-ld:AirQualityObserved:e2e-"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


def _subscribe(base: str, receiver: Receiver) -> str:
    body = {
        "type": "Subscription",
        "entities": [{"type": "AirQualityObserved"}],
        "watchedAttributes": ["pm25"],
        "notification": {
            "format": "keyValues",
            "attributes": ["pm25"],
            "endpoint": {"uri": receiver.url},
        },
    }
    r = httpx.post(base + "/ngsi-ld/v1/subscriptions", json=body, headers=AUTH)
    assert r.status_code == 201, r.text
    return r.headers["location"]


def _set(base: str, n: int, value: float, create: bool = False) -> None:
    if create:
        entity = {
            "id": f"{AQ}{n}",
            "type": "AirQualityObserved",
            "pm25": {"type": "Property", "value": value},
        }
        r = httpx.post(base + "/ngsi-ld/v1/entities", json=entity, headers=AUTH)
        assert r.status_code == 201, r.text
        return
    r = httpx.patch(
        f"{base}/ngsi-ld/v1/entities/{AQ}{n}/attrs",
        json={"pm25": {"type": "Property", "value": value}},
        headers=AUTH,
    )
    assert r.status_code == 204, r.text


def _database(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'subs.db'}"
        return
    url = create_postgres_database("cityioc_e2e")
    yield url
    drop_postgres_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from _database(request.param, tmp_path)


def test_notifications_survive_a_dead_receiver_and_a_killed_server(
    database: str, tmp_path: Path, receiver: Receiver
) -> None:
    server = ServerProcess(database, ADMIN, tmp_path)
    server.start()
    try:
        location = _subscribe(server.url, receiver)  # the receiver is not listening yet
        _set(server.url, 1, 1, create=True)
        for value in range(2, 21):
            _set(server.url, 1, value)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            shown = httpx.get(server.url + location, headers=AUTH).json()
            if shown["notification"]["timesFailed"] >= 1:
                break
            time.sleep(0.1)
        assert shown["notification"]["timesFailed"] >= 1
        server.kill()
        receiver.start()
        server.start()
        got = receiver.wait_for(20, timeout=45)
        assert [e["pm25"] for e in got] == list(range(1, 21))
        time.sleep(0.5)
        assert len(receiver.entities()) == 20  # each once
        deadline = time.monotonic() + 10  # deliveries are recorded just after they are sent
        while "cityioc_outbox_backlog 0.0" not in httpx.get(server.url + "/metrics").text:
            assert time.monotonic() < deadline, "the outbox never emptied"
            time.sleep(0.05)
    finally:
        server.stop()


@pytest.mark.postgres
def test_two_processes_share_postgres_and_nats(tmp_path: Path, receiver: Receiver) -> None:
    nats_url = require_nats()
    database = create_postgres_database("cityioc_e2e")
    env = {
        "CITYIOC_NATS_URL": nats_url,
        "CITYIOC_NATS_SUBJECT_PREFIX": f"e2e{uuid.uuid4().hex[:8]}",
    }
    a = ServerProcess(database, ADMIN, tmp_path, env=env)
    b = ServerProcess(database, ADMIN, tmp_path, env=env)
    try:
        a.start()
        b.start()
        assert httpx.get(b.url + "/readyz").json()["checks"]["bus"] == "ok"
        receiver.start()
        _subscribe(a.url, receiver)  # made through A …
        time.sleep(0.5)
        events = start_listening(b.url, {"type": "AirQualityObserved"})
        _set(a.url, 1, 5, create=True)  # … a change through A reaches B's live stream
        wait_for_event(events)
        assert events and events[0]["entity"]["id"] == f"{AQ}1"
        for value in range(6, 16):  # … and changes through B match A's subscription
            _set(b.url, 1, value)
        receiver.wait_for(11)
        time.sleep(1.0)
        assert [e["pm25"] for e in receiver.entities()] == list(range(5, 16))  # once, in order
    finally:
        a.stop()
        b.stop()
        drop_postgres_database(database)

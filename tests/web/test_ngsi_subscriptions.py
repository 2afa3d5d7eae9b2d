"""NGSI-LD subscriptions over HTTP, per backend, with notifications to a real HTTP receiver."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cityioc.core.clock import FakeClock
from cityioc.core.settings import Settings
from cityioc.web.app import create_app
from tests.receiver import Receiver
from tests.web.conftest import ADMIN_KEY

AQ = "urn:ngsi-ld:AirQualityObserved:"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app_client(database_url: str, fake_clock: FakeClock) -> Iterator[TestClient]:
    settings = Settings(database_url=database_url, admin_key=ADMIN_KEY, environment="test")
    app = create_app(settings, clock=fake_clock)
    with TestClient(app, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as c:
        yield c


def _subscription(receiver: Receiver, **extra: Any) -> dict[str, Any]:
    return {
        "type": "Subscription",
        "entities": [{"type": "AirQualityObserved"}],
        "watchedAttributes": ["pm25"],
        "notification": {
            "format": "keyValues",
            "attributes": ["pm25"],
            "endpoint": {"uri": receiver.url, "accept": "application/json"},
        },
        **extra,
    }


def _station(n: int, pm25: float) -> dict[str, Any]:
    return {
        "id": f"{AQ}{n}",
        "type": "AirQualityObserved",
        "pm25": {"type": "Property", "value": pm25},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [106.65, 10.98]},
        },
    }


def _set_pm25(client: TestClient, n: int, value: float) -> None:
    r = client.patch(
        f"/ngsi-ld/v1/entities/{AQ}{n}/attrs", json={"pm25": {"type": "Property", "value": value}}
    )
    assert r.status_code == 204, r.text


def test_create_read_update_delete(app_client: TestClient, receiver: Receiver) -> None:
    created = app_client.post(
        "/ngsi-ld/v1/subscriptions", json=_subscription(receiver, q="pm25>50")
    )
    assert created.status_code == 201, created.text
    location = created.headers["location"]
    sid = location.rsplit("/", 1)[1]
    shown = app_client.get(location).json()
    assert shown["id"] == sid
    assert shown["entities"] == [{"type": "AirQualityObserved"}]
    assert shown["watchedAttributes"] == ["pm25"]
    assert shown["q"] == "pm25>50"
    assert shown["status"] == "active"
    assert shown["notification"]["endpoint"]["uri"] == receiver.url
    assert shown["notification"]["timesSent"] == 0

    listed = app_client.get("/ngsi-ld/v1/subscriptions?count=true")
    assert listed.headers["NGSILD-Results-Count"] == "1"
    assert [s["id"] for s in listed.json()] == [sid]

    patched = app_client.patch(location, json={"q": "pm25>80", "isActive": False})
    assert patched.status_code == 204, patched.text
    shown = app_client.get(location).json()
    assert (shown["q"], shown["isActive"], shown["status"]) == ("pm25>80", False, "paused")

    assert app_client.delete(location).status_code == 204
    assert app_client.get(location).status_code == 404
    assert app_client.delete(location).status_code == 404


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"notification": {"format": "keyValues"}}, "endpoint"),
        ({"q": "pm25>>"}, "q"),
        ({"surprise": 1}, "surprise"),
        ({"timeInterval": 60}, "timeInterval"),
        ({"notification": {"endpoint": {"uri": "ftp://x"}}}, "http"),
        ({"entities": [{"id": "urn:x:1"}]}, "type"),
        ({"expiresAt": "2000-01-01T00:00:00Z"}, "future"),
        ({"throttling": -1}, "throttling"),
    ],
)
def test_invalid_subscriptions_are_rejected(
    app_client: TestClient, receiver: Receiver, change: dict[str, Any], fragment: str
) -> None:
    body = _subscription(receiver)
    if "notification" in change and "endpoint" not in change["notification"]:
        body["notification"] = change["notification"]
    else:
        body = {**body, **change}
    r = app_client.post("/ngsi-ld/v1/subscriptions", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["type"].endswith("BadRequestData")
    assert fragment in r.json()["detail"]


def test_only_operators_and_agencies_subscribe(app_client: TestClient, receiver: Receiver) -> None:
    viewer = app_client.post("/api/v1/admin/keys", json={"role": "viewer", "name": "t"}).json()[
        "key"
    ]
    r = app_client.post(
        "/ngsi-ld/v1/subscriptions",
        json=_subscription(receiver),
        headers={"Authorization": f"Bearer {viewer}"},
    )
    assert r.status_code == 403
    public = app_client.get("/ngsi-ld/v1/subscriptions", headers={"Authorization": ""})
    assert public.status_code in (401, 403)


def test_changes_that_match_are_notified(app_client: TestClient, receiver: Receiver) -> None:
    r = app_client.post("/ngsi-ld/v1/subscriptions", json=_subscription(receiver, q="pm25>50"))
    sid = r.headers["location"].rsplit("/", 1)[1]
    assert app_client.post("/ngsi-ld/v1/entities", json=_station(1, 60)).status_code == 201
    _set_pm25(app_client, 1, 40)  # does not satisfy q
    _set_pm25(app_client, 1, 70)
    weather = {
        "id": "urn:ngsi-ld:WeatherObserved:1",
        "type": "WeatherObserved",
        "pm25": {"type": "Property", "value": 99},
    }
    app_client.post("/ngsi-ld/v1/entities", json=weather)  # another type
    app_client.patch(
        f"/ngsi-ld/v1/entities/{AQ}1/attrs", json={"name": {"type": "Property", "value": "x"}}
    )
    got = receiver.wait_for(2)
    time.sleep(0.3)  # nothing else may arrive
    assert (
        receiver.entities()
        == [
            {"id": f"{AQ}1", "type": "AirQualityObserved", "pm25": 60},
            {"id": f"{AQ}1", "type": "AirQualityObserved", "pm25": 70},
        ]
        == got
    )
    first = receiver.received[0]
    assert first["type"] == "Notification"
    assert first["subscriptionId"] == sid
    assert receiver.headers[0]["Content-Type"] == "application/json"
    status = app_client.get(f"/ngsi-ld/v1/subscriptions/{sid}").json()["notification"]
    assert status["timesSent"] == 2 and status["status"] == "ok" and "lastSuccess" in status


def test_bulk_readings_notify_the_latest_state_once_per_entity(
    app_client: TestClient, receiver: Receiver
) -> None:
    app_client.post("/ngsi-ld/v1/subscriptions", json=_subscription(receiver))
    readings = [
        {
            "entity": f"{AQ}{n}",
            "attribute": "pm25",
            "value": float(n * 10 + i),
            "observedAt": f"2026-11-25T10:0{i}:00Z",
        }
        for n in range(3)
        for i in range(5)
    ]
    assert app_client.post("/api/v1/readings", json=readings).status_code == 200
    got = receiver.wait_for(3)
    assert sorted((e["id"], e["pm25"]) for e in got) == [
        (f"{AQ}{n}", n * 10 + 4.0) for n in range(3)
    ]


def test_a_receiver_that_fails_gets_everything_in_order_when_it_recovers(
    app_client: TestClient, receiver: Receiver, fake_clock: FakeClock
) -> None:
    sid = (
        app_client.post("/ngsi-ld/v1/subscriptions", json=_subscription(receiver))
        .headers["location"]
        .rsplit("/", 1)[1]
    )
    receiver.failing = True
    app_client.post("/ngsi-ld/v1/entities", json=_station(1, 1))
    for value in range(2, 11):
        _set_pm25(app_client, 1, value)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status = app_client.get(f"/ngsi-ld/v1/subscriptions/{sid}").json()
        if status["notification"]["timesFailed"] >= 1:
            break
        time.sleep(0.05)
    assert status["status"] == "failed" and status["notification"]["status"] == "failed"
    assert receiver.entities() == []
    receiver.failing = False
    fake_clock.advance(seconds=60)  # past the backoff
    got = receiver.wait_for(10)
    assert [e["pm25"] for e in got] == list(range(1, 11))
    # Deliveries are recorded just after they are sent: the status turns active, and the backlog
    # empties, right after the receiver has them.
    deadline = time.monotonic() + 10
    while app_client.get(f"/ngsi-ld/v1/subscriptions/{sid}").json()["status"] != "active":
        assert time.monotonic() < deadline, "the subscription never became active again"
        time.sleep(0.05)
    while "cityioc_outbox_backlog 0.0" not in app_client.get("/metrics").text:
        assert time.monotonic() < deadline, "the outbox never emptied"
        time.sleep(0.05)


def test_deleting_an_entity_notifies_when_asked(app_client: TestClient, receiver: Receiver) -> None:
    body = _subscription(receiver, notificationTrigger=["entityDeleted"])
    del body["watchedAttributes"]
    app_client.post("/ngsi-ld/v1/subscriptions", json=body)
    app_client.post("/ngsi-ld/v1/entities", json=_station(7, 1))
    assert app_client.delete(f"/ngsi-ld/v1/entities/{AQ}7").status_code == 204
    got = receiver.wait_for(1)
    assert got[0]["id"] == f"{AQ}7" and "deletedAt" in got[0]


def test_time_interval_subscriptions_report_the_current_state_each_period(
    app_client: TestClient, receiver: Receiver, fake_clock: FakeClock
) -> None:
    for n in (1, 2):
        app_client.post("/ngsi-ld/v1/entities", json=_station(n, 10 * n))
    body = _subscription(receiver, timeInterval=60, q="pm25>15")
    del body["watchedAttributes"]
    assert app_client.post("/ngsi-ld/v1/subscriptions", json=body).status_code == 201
    assert [e["id"] for e in receiver.wait_for(1)] == [f"{AQ}2"]
    _set_pm25(app_client, 1, 50)  # no change notification for a periodic subscription
    time.sleep(1.5)
    assert len(receiver.entities()) == 1
    fake_clock.advance(seconds=61)
    got = receiver.wait_for(3)
    assert sorted((e["id"], e["pm25"]) for e in got[1:]) == [(f"{AQ}1", 50), (f"{AQ}2", 20)]


def test_normalized_notifications_with_system_attributes(
    app_client: TestClient, receiver: Receiver
) -> None:
    body = _subscription(receiver)
    body["notification"] = {**body["notification"], "format": "normalized", "sysAttrs": True}
    app_client.post("/ngsi-ld/v1/subscriptions", json=body)
    app_client.post("/ngsi-ld/v1/entities", json=_station(3, 33))
    (entity,) = receiver.wait_for(1)
    assert entity["pm25"] == {"type": "Property", "value": 33}
    assert "modifiedAt" in entity and "createdAt" in entity

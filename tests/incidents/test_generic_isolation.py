"""Agency isolation holds on the generic read paths too: NGSI-LD queries, retrieval and history,
the live stream and subscription notifications never show an agency another agency's incident."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from fastapi.testclient import TestClient

from tests.incidents.test_api import api, as_  # noqa: F401 (the fixture)
from tests.receiver import Receiver

AIR = {
    "title": {"vi": "Bụi mịn vượt ngưỡng", "en": "Fine dust above the limit"},
    "category": "o-nhiem-khong-khi",
    "capSeverity": "Moderate",
    "area": "25747",
}
FLOOD = {"title": "Ngập", "category": "ngap-nuoc", "area": "25747"}


def _ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {e["id"] for e in response.json()}


def test_an_agency_reads_only_its_incidents_everywhere(
    api: tuple[TestClient, dict[str, str]],  # noqa: F811
) -> None:
    client, keys = api
    op, env = as_(keys, "operator"), as_(keys, "env")
    receiver = Receiver().start()
    try:
        subscription = {
            "type": "Subscription",
            "entities": [{"type": "Incident"}],
            "notification": {"format": "keyValues", "endpoint": {"uri": receiver.url}},
        }
        made = client.post("/ngsi-ld/v1/subscriptions", headers=env, json=subscription)
        assert made.status_code == 201, made.text
        air = client.post("/api/v1/incidents", headers=op, json=AIR).json()["id"]
        flood = client.post("/api/v1/incidents", headers=op, json=FLOOD).json()["id"]

        query = {"type": "Incident", "options": "keyValues"}
        assert _ids(client.get("/ngsi-ld/v1/entities", params=query, headers=op)) == {air, flood}
        assert _ids(client.get("/ngsi-ld/v1/entities", params=query, headers=env)) == {air}
        assert client.get(f"/ngsi-ld/v1/entities/{flood}", headers=env).status_code == 404
        assert client.get(f"/ngsi-ld/v1/entities/{air}", headers=env).status_code == 200
        history = client.get(f"/ngsi-ld/v1/temporal/entities/{flood}", headers=env)
        assert history.status_code == 404
        temporal = client.get(
            "/ngsi-ld/v1/temporal/entities", params={"type": "Incident"}, headers=env
        )
        assert _ids(temporal) == {air}

        got = receiver.wait_for(1)
        time.sleep(0.5)
        assert {e["id"] for e in receiver.entities()} == {air} == {e["id"] for e in got}
    finally:
        receiver.stop()


def test_the_live_stream_hides_other_agencies_incidents(
    api: tuple[TestClient, dict[str, str]],  # noqa: F811
) -> None:
    client, keys = api
    op = as_(keys, "operator")
    seen: list[str] = []
    ready = threading.Event()

    def listen() -> None:
        with client.stream(
            "GET", "/api/v1/live", params={"type": "Incident"}, headers=as_(keys, "env")
        ) as r:
            kind = ""
            for line in r.iter_lines():
                if line.startswith("event:"):
                    kind = line.split(":", 1)[1].strip()
                    ready.set()
                elif line.startswith("data:") and kind == "entity":
                    seen.append(json.loads(line.split(":", 1)[1])["entity"]["id"])
                    return

    threading.Thread(target=listen, daemon=True).start()
    assert ready.wait(10)
    flood = client.post("/api/v1/incidents", headers=op, json=FLOOD).json()["id"]
    air = client.post("/api/v1/incidents", headers=op, json=AIR).json()["id"]
    deadline = time.monotonic() + 10
    while not seen and time.monotonic() < deadline:
        time.sleep(0.05)
    assert seen == [air] and flood not in seen

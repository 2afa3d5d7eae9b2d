"""The live stream (SSE) against the real server: a change reaches a filtered subscriber."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.e2e
ADMIN = "cio_e2e_live-admin-key"


def test_changes_reach_live_subscribers_by_type_and_bbox(tmp_path: Path) -> None:
    server = ServerProcess(f"sqlite:///{tmp_path / 'live.db'}", ADMIN, tmp_path)
    server.start()
    try:
        events: list[dict[str, object]] = []
        ready = threading.Event()

        def listen() -> None:
            params = {
                "type": "FloodMonitoring",
                "bbox": "106.6,10.8,106.8,11.0",
                "area": "thuan an",
            }
            with httpx.stream("GET", server.url + "/api/v1/live", params=params, timeout=10) as r:
                kind = ""
                for line in r.iter_lines():
                    if line.startswith("event:"):
                        kind = line.split(":", 1)[1].strip()
                        if kind == "ready":
                            ready.set()
                    elif line.startswith("data:") and kind == "entity":
                        events.append(json.loads(line.split(":", 1)[1]))
                        return

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        assert ready.wait(10), "the stream never said it was ready"
        auth = {"Authorization": f"Bearer {ADMIN}"}
        with httpx.Client(base_url=server.url, headers=auth) as http:

            def station(
                eid: str, etype: str, lon: float, area: str = "Thuận An"
            ) -> dict[str, object]:
                return {
                    "id": eid,
                    "type": etype,
                    "areaServed": {"type": "Property", "value": area},
                    "currentLevel": {"type": "Property", "value": 1.2},
                    "location": {
                        "type": "GeoProperty",
                        "value": {"type": "Point", "coordinates": [lon, 10.9]},
                    },
                }

            # None of these may arrive: wrong type, outside the box, another area.
            http.post(
                "/ngsi-ld/v1/entities",
                json=station("urn:ngsi-ld:Streetlight:1", "Streetlight", 106.7),
            )
            http.post(
                "/ngsi-ld/v1/entities",
                json=station("urn:ngsi-ld:FloodMonitoring:far", "FloodMonitoring", 107.5),
            )
            http.post(
                "/ngsi-ld/v1/entities",
                json=station("urn:ngsi-ld:FloodMonitoring:da-1", "FloodMonitoring", 106.7, "Dĩ An"),
            )
            r = http.post(
                "/ngsi-ld/v1/entities",
                json=station("urn:ngsi-ld:FloodMonitoring:ta-1", "FloodMonitoring", 106.7),
            )
            assert r.status_code == 201
        listener.join(10)
        assert [e["entity"]["id"] for e in events] == ["urn:ngsi-ld:FloodMonitoring:ta-1"]  # type: ignore[index]
        assert events[0]["actor"] != "public"
    finally:
        server.stop()

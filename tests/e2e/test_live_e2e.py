"""The live stream (SSE) against the real server: a change reaches a filtered subscriber."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.live import start_listening, wait_for_event
from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.e2e
ADMIN = "cio_e2e_live-admin-key"


def test_changes_reach_live_subscribers_by_type_and_bbox(tmp_path: Path) -> None:
    server = ServerProcess(f"sqlite:///{tmp_path / 'live.db'}", ADMIN, tmp_path)
    server.start()
    try:
        params = {"type": "FloodMonitoring", "bbox": "106.6,10.8,106.8,11.0", "area": "thuan an"}
        events = start_listening(server.url, params, timeout=10)
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
        wait_for_event(events)
        assert [e["entity"]["id"] for e in events] == ["urn:ngsi-ld:FloodMonitoring:ta-1"]
        assert events[0]["actor"] != "public"
    finally:
        server.stop()

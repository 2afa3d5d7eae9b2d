"""A station layer too dense to draw point by point is clustered, and its stations keep their
states: 450 air-quality stations (a city's real network is tens) on a server of their own."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext

from tests.e2e.server import ServerProcess
from tests.ui.conftest import ADMIN, READY, shoot, watched_page

pytestmark = pytest.mark.e2e

STATIONS = 450  # above the map's DENSE (400)
AQ = "urn:ngsi-ld:AirQualityObserved:dense-"


@pytest.fixture(scope="module")
def dense_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir: Path = tmp_path_factory.mktemp("dense")
    server = ServerProcess(f"sqlite:///{workdir / 'dense.db'}", ADMIN, workdir)
    server.start()
    try:
        rnd = random.Random(7)
        entities = [
            {
                "id": f"{AQ}{n:03d}",
                "type": "AirQualityObserved",
                "location": {
                    "type": "GeoProperty",
                    "value": {
                        "type": "Point",
                        "coordinates": [106.5 + rnd.random() * 0.4, 10.9 + rnd.random() * 0.5],
                    },
                },
                "pm25": {"type": "Property", "value": 65.0 if n == 0 else 10.0},
            }
            for n in range(STATIONS)
        ]
        answer = httpx.post(
            f"{server.url}/ngsi-ld/v1/entityOperations/upsert",
            json=entities,
            headers={"Authorization": f"Bearer {ADMIN}"},
            timeout=60,
        )
        assert answer.status_code in (201, 204), answer.text
        yield server
    finally:
        server.stop()


def test_a_dense_station_layer_is_clustered_and_keeps_its_states(
    browser: Browser, dense_server: ServerProcess
) -> None:
    contexts: list[BrowserContext] = []
    errors: list[str] = []
    page = watched_page(browser, contexts, errors)
    page.add_init_script(f"sessionStorage.setItem('cityioc.apiKey', '{ADMIN}')")
    page.goto(dense_server.url + "/ops")
    page.wait_for_function(READY, timeout=30_000)
    assert page.evaluate("window.__cityioc.entityCount()") >= STATIONS
    markers = page.locator('.leaflet-marker-pane [data-entity-id^="' + AQ + '"]')
    clusters = page.locator(".leaflet-marker-pane .cluster")
    assert clusters.count() > 0
    assert markers.count() < STATIONS  # drawn in clusters, not one by one
    assert page.evaluate(f"window.__cityioc.state('{AQ}000')") == "aqi-poor"
    # The poor station shows: in a cluster that takes its colour, or (alone) as its own marker.
    poor = page.locator(
        '.leaflet-marker-pane .cluster[data-state="aqi-poor"],'
        f' .leaflet-marker-pane [data-entity-id="{AQ}000"][data-state="aqi-poor"]'
    )
    assert poor.count() >= 1
    shoot(page, "ops-dense-clustered")
    for context in contexts:
        context.close()
    assert not errors, errors

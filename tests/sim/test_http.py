"""The HTTP publisher against the real server process, and its retries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cityioc.sim.engine import Engine
from cityioc.sim.fleet import SIM_TYPES, Fleet, clone_entities
from cityioc.sim.publishers import HttpPublisher, PublishError
from cityioc.sim.scenarios import plan
from tests.e2e.server import ServerProcess
from tests.sim.conftest import HOUR, MINUTE, local_ms
from tests.sim.fleet_data import normalized, small_fleet

ADMIN = "cio_sim_admin-key-for-tests"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(f"sqlite:///{tmp_path / 'http.db'}", ADMIN, tmp_path)
    proc.start()
    yield proc
    proc.stop()


@pytest.mark.e2e
async def test_the_fleet_is_read_and_its_readings_posted_over_http(
    server: ServerProcess,
) -> None:
    http = HttpPublisher(server.url, ADMIN, "bd", batch=700)
    try:
        await http.ensure_entities([normalized(e) for e in small_fleet()])
        fleet = Fleet.from_entities(await http.fetch_entities(SIM_TYPES))
        assert len(fleet) == len(small_fleet())
        assert fleet["urn:ngsi-ld:FloodMonitoring:fl-dian"].levels == (0.2, 0.5, 0.9)
        assert "myPhuocTanVan" in fleet["urn:ngsi-ld:Streetlight:mptv-07-3"].tags
        big = fleet.scaled(70, seed=1)
        await http.ensure_entities(clone_entities(big))
        start = local_ms("2026-08-20 17:05")
        run = plan("heavy_rain", big, start, seed=1)
        readings = Engine(big, seed=1).readings(start, start + 30 * MINUTE, [run])
        assert await http.publish(readings) == len(readings) > 1400
        assert http.rejected == 0
    finally:
        await http.aclose()
    with httpx.Client(base_url=server.url, headers={"NGSILD-Tenant": "bd"}) as client:
        flood = client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:FloodMonitoring:fl-dian").json()
        assert flood["currentLevel"]["unitCode"] == "MTR"
        assert flood["currentLevel"]["value"] > flood["alertLevel"]["value"]  # flooded by 17:35
        clone = next(s for s in big.sensors if s.synthetic and s.type == "WeatherObserved")
        found = client.get(f"/ngsi-ld/v1/entities/{clone.id}", params={"options": "keyValues"})
        body = found.json()
        assert body["synthetic"] is True and body["location"]["type"] == "Point"
        assert body["precipitation"] > 0
        history = client.get(
            f"/ngsi-ld/v1/temporal/entities/{clone.id}",
            params={"attrs": "temperature", "lastN": "100"},
        ).json()
        assert len(history["temperature"]) >= 28  # one a minute, a gap or two aside


async def test_busy_answers_are_retried_and_client_errors_are_not() -> None:
    calls: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            return httpx.Response(503, headers={"Retry-After": "0"})
        return httpx.Response(200, json={"accepted": 2, "rejected": 0, "errors": []})

    busy = HttpPublisher(
        "http://hub", "k", batch=10, backoff_s=0, transport=httpx.MockTransport(answer)
    )
    readings = Engine(Fleet.from_entities(small_fleet()[:1]), seed=1).readings(0, HOUR)[:2]
    assert await busy.publish(readings) == 2 and len(calls) == 3
    await busy.aclose()

    def refuse(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer k"
        return httpx.Response(401, json={"detail": "bad key"})

    refused = HttpPublisher("http://hub", "k", transport=httpx.MockTransport(refuse))
    with pytest.raises(PublishError, match="401"):
        await refused.publish(readings)
    await refused.aclose()

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    gone = HttpPublisher("http://hub", retries=2, backoff_s=0, transport=httpx.MockTransport(down))
    with pytest.raises(PublishError, match="ConnectError"):
        await gone.publish(readings)
    await gone.aclose()

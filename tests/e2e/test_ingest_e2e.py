"""End to end against the real server process, on both backends: everything acknowledged is
stored and queryable, with the right aggregates — also across a SIGKILL in the middle of a stream.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import ServerProcess

pytestmark = pytest.mark.e2e
ADMIN = "cio_e2e_admin-key-for-tests"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
START = "2026-11-25T00:00:00Z"
T0 = 1_795_564_800_000  # 2026-11-25T00:00:00Z


def iso(ms: int) -> str:
    from cityioc.core.clock import iso_ms

    return iso_ms(ms)


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(database_url, ADMIN, tmp_path)
    proc.start()
    yield proc
    proc.stop()


def test_bulk_and_ngsi_readings_are_all_queryable_with_right_aggregates(
    server: ServerProcess,
) -> None:
    n = 600
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as http:
        readings = [
            {
                "entity": "urn:ngsi-ld:AirQualityObserved:e2e-bulk",
                "attribute": "pm25",
                "value": float(i % 50),
                "observedAt": iso(T0 + i * 60_000),
            }
            for i in range(n)
        ]
        for chunk in range(0, n, 200):
            r = http.post("/api/v1/readings", json=readings[chunk : chunk + 200])
            assert r.status_code == 200, r.text
            assert r.json()["accepted"] == 200

        entity = {
            "id": "urn:ngsi-ld:WeatherObserved:e2e-ngsi",
            "type": "WeatherObserved",
            "temperature": {"type": "Property", "value": 0.0, "observedAt": iso(T0)},
        }
        assert http.post("/ngsi-ld/v1/entities", json=entity).status_code == 201
        for i in range(1, n):
            r = http.patch(
                "/ngsi-ld/v1/entities/urn:ngsi-ld:WeatherObserved:e2e-ngsi/attrs",
                json={
                    "temperature": {
                        "type": "Property",
                        "value": float(i % 30),
                        "observedAt": iso(T0 + i * 60_000),
                    }
                },
            )
            assert r.status_code == 204, r.text

        for eid, attr, modulo in (
            ("urn:ngsi-ld:AirQualityObserved:e2e-bulk", "pm25", 50),
            ("urn:ngsi-ld:WeatherObserved:e2e-ngsi", "temperature", 30),
        ):
            expected = [float(i % modulo) for i in range(n)]
            values = http.get(
                f"/ngsi-ld/v1/temporal/entities/{eid}",
                params={
                    "format": "temporalValues",
                    "timerel": "after",
                    "timeAt": START,
                    "lastN": n + 10,
                },
            )
            assert values.status_code == 200, values.text
            assert [v[0] for v in values.json()[attr]["values"]] == expected

            agg = http.get(
                f"/ngsi-ld/v1/temporal/entities/{eid}",
                params={
                    "format": "aggregatedValues",
                    "aggrMethods": "totalCount,sum,avg,min,max",
                    "aggrPeriodDuration": "PT1H",
                    "timerel": "between",
                    "timeAt": START,
                    "endTimeAt": iso(T0 + n * 60_000),
                },
            ).json()[attr]
            hours = [expected[h * 60 : (h + 1) * 60] for h in range(n // 60)]
            assert [row[0] for row in agg["totalCount"]] == [60] * len(hours)
            assert [row[0] for row in agg["sum"]] == pytest.approx([sum(h) for h in hours])
            assert [row[0] for row in agg["avg"]] == pytest.approx([sum(h) / 60 for h in hours])
            assert [row[0] for row in agg["max"]] == [max(h) for h in hours]
            assert agg["sum"][1][1:] == [iso(T0 + 3_600_000), iso(T0 + 7_200_000)]


def test_every_acknowledged_reading_survives_sigkill(server: ServerProcess) -> None:
    acknowledged: list[int] = []
    stop = threading.Event()
    batch = 100

    def stream() -> None:
        i = 0
        with httpx.Client(base_url=server.url, headers=AUTH, timeout=5) as http:
            while not stop.is_set():
                body = [
                    {
                        "entity": "urn:ngsi-ld:FloodMonitoring:e2e-kill",
                        "attribute": "currentLevel",
                        "value": float(i + k),
                        "observedAt": iso(T0 + (i + k) * 1000),
                    }
                    for k in range(batch)
                ]
                try:
                    r = http.post("/api/v1/readings", json=body)
                except httpx.HTTPError:
                    return  # the server died mid-request: this batch was never acknowledged
                if r.status_code == 200:
                    acknowledged.extend(range(i, i + batch))
                i += batch

    sender = threading.Thread(target=stream)
    sender.start()
    while len(acknowledged) < 3000:
        sender.join(0.05)
    server.kill()
    stop.set()
    sender.join(10)
    assert acknowledged, "nothing was acknowledged before the kill"

    server.start()
    with httpx.Client(base_url=server.url, headers=AUTH, timeout=30) as http:
        r = http.get(
            "/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:FloodMonitoring:e2e-kill",
            params={
                "format": "temporalValues",
                "timerel": "after",
                "timeAt": START,
                "lastN": 1_000_000,
            },
        )
        assert r.status_code == 200, r.text
        stored = {int(v[0]) for v in r.json()["currentLevel"]["values"]}
    missing = set(acknowledged) - stored
    assert not missing, f"{len(missing)} acknowledged readings lost, e.g. {sorted(missing)[:5]}"

"""The NGSI-LD temporal API through the whole application, on both backends."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from cityioc.core.clock import iso_ms

BASE = "/ngsi-ld/v1"
T0 = 1_795_564_800_000  # 2026-11-25T00:00:00Z
EID = "urn:ngsi-ld:AirQualityObserved:hist"


def load(client: TestClient, n: int, step_ms: int = 60_000, start: int = T0) -> list[float]:
    values = [float((i * 7) % 23) for i in range(n)]
    body = [
        {"entity": EID, "attribute": "pm25", "value": v, "observedAt": iso_ms(start + i * step_ms)}
        for i, v in enumerate(values)
    ]
    r = client.post("/api/v1/readings", json=body)
    assert r.status_code == 200 and r.json()["accepted"] == n
    return values


def temporal(client: TestClient, **params: Any) -> Any:
    r = client.get(f"{BASE}/temporal/entities/{EID}", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_normalized_simplified_and_last_n(client: TestClient) -> None:
    values = load(client, 30)
    normal = temporal(client, timerel="after", timeAt=iso_ms(T0 + 25 * 60_000))
    assert [i["value"] for i in normal["pm25"]] == values[25:]
    assert normal["pm25"][0] == {
        "type": "Property",
        "value": values[25],
        "observedAt": iso_ms(T0 + 25 * 60_000),
    }
    simple = temporal(
        client, format="temporalValues", timerel="before", timeAt=iso_ms(T0 + 3 * 60_000)
    )
    assert simple["pm25"] == {
        "type": "Property",
        "values": [[v, iso_ms(T0 + i * 60_000)] for i, v in enumerate(values[:3])],
    }
    last = temporal(client, options="temporalValues", lastN=2)
    assert [v[0] for v in last["pm25"]["values"]] == values[-2:]


@pytest.mark.parametrize(
    ("start_offset", "period"),
    [(0, "PT1H"), (0, "P1D"), (13 * 60_000, "PT1H"), (0, "PT0S"), (0, "PT7M")],
)
def test_aggregation_from_rollups_equals_aggregation_from_raw(
    client: TestClient, start_offset: int, period: str
) -> None:
    values = load(client, 6 * 60 + 17)
    start = T0 + start_offset
    end = T0 + len(values) * 60_000
    got = temporal(
        client,
        format="aggregatedValues",
        aggrMethods="totalCount,sum,avg,min,max,sumsq,stddev,distinctCount",
        aggrPeriodDuration=period,
        timerel="between",
        timeAt=iso_ms(start),
        endTimeAt=iso_ms(end),
    )["pm25"]
    width = {"PT1H": 3_600_000, "P1D": 86_400_000, "PT0S": end - start, "PT7M": 420_000}[period]
    bucket = start
    rows = []
    while bucket < end:
        chunk = [
            v for i, v in enumerate(values) if bucket <= T0 + i * 60_000 < min(bucket + width, end)
        ]
        rows.append((bucket, min(bucket + width, end), chunk))
        bucket += width
    assert [r[0] for r in got["totalCount"]] == [len(c) for _, _, c in rows]
    assert [r[0] for r in got["sum"]] == pytest.approx([sum(c) for _, _, c in rows])
    assert [r[0] for r in got["min"]] == [min(c) for _, _, c in rows]
    assert [r[0] for r in got["max"]] == [max(c) for _, _, c in rows]
    assert [r[0] for r in got["distinctCount"]] == [len(set(c)) for _, _, c in rows]
    assert [r[1:] for r in got["avg"]] == [[iso_ms(a), iso_ms(b)] for a, b, _ in rows]


def test_temporal_errors_are_specific(client: TestClient) -> None:
    load(client, 3)
    url = f"{BASE}/temporal/entities/{EID}"
    for params, word in (
        ({"timerel": "between", "timeAt": iso_ms(T0)}, "endTimeAt"),
        ({"timerel": "sometime", "timeAt": iso_ms(T0)}, "timerel"),
        ({"timerel": "after", "timeAt": "yesterday"}, "timeAt"),
        ({"format": "aggregatedValues", "aggrMethods": "median"}, "median"),
        (
            {"format": "aggregatedValues", "aggrMethods": "avg", "aggrPeriodDuration": "1h"},
            "aggrPeriodDuration",
        ),
        ({"lastN": "-1"}, "lastN"),
    ):
        r = client.get(url, params=params)
        assert r.status_code == 400, (params, r.text)
        assert word in r.json()["detail"], r.json()
    assert client.get(f"{BASE}/temporal/entities/urn:ngsi-ld:X:none").status_code == 404


def test_post_temporal_entity_and_delete_history(client: TestClient) -> None:
    body = {
        "id": "urn:ngsi-ld:WaterObserved:w1",
        "type": "WaterObserved",
        "waterLevel": [
            {"type": "Property", "value": 1.2, "observedAt": iso_ms(T0)},
            {"type": "Property", "value": 1.5, "observedAt": iso_ms(T0 + 60_000)},
        ],
    }
    assert client.post(f"{BASE}/temporal/entities", json=body).status_code == 201
    more = {"waterLevel": [{"type": "Property", "value": 1.9, "observedAt": iso_ms(T0 + 120_000)}]}
    assert (
        client.post(
            f"{BASE}/temporal/entities/urn:ngsi-ld:WaterObserved:w1/attrs", json=more
        ).status_code
        == 204
    )
    got = client.get(
        f"{BASE}/temporal/entities/urn:ngsi-ld:WaterObserved:w1",
        params={"format": "temporalValues"},
    ).json()
    assert [v[0] for v in got["waterLevel"]["values"]] == [1.2, 1.5, 1.9]
    current = client.get(f"{BASE}/entities/urn:ngsi-ld:WaterObserved:w1").json()
    assert current["waterLevel"]["value"] == 1.9
    assert (
        client.delete(f"{BASE}/temporal/entities/urn:ngsi-ld:WaterObserved:w1").status_code == 204
    )
    after = client.get(f"{BASE}/temporal/entities/urn:ngsi-ld:WaterObserved:w1").json()
    assert "waterLevel" not in after


def test_query_objects_for_entities_and_history(client: TestClient) -> None:
    load(client, 10)
    query = {
        "type": "Query",
        "entities": [{"type": "AirQualityObserved"}],
        "q": "pm25>=0",
        "temporalQ": {"timerel": "after", "timeAt": iso_ms(T0), "lastN": 3},
    }
    r = client.post(f"{BASE}/entityOperations/query", json=query, params={"count": "true"})
    assert r.status_code == 200, r.text
    assert [e["id"] for e in r.json()] == [EID] and r.headers["NGSILD-Results-Count"] == "1"
    hist = client.post(
        f"{BASE}/temporal/entityOperations/query", json=query, params={"format": "temporalValues"}
    )
    assert hist.status_code == 200, hist.text
    assert len(hist.json()[0]["pm25"]["values"]) == 3
    bad = client.post(f"{BASE}/entityOperations/query", json={"type": "Subscription"})
    assert bad.status_code == 400

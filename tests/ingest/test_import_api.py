"""``POST /api/v1/import`` end to end through the application, on both backends."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

from cityioc.core.settings import Settings
from cityioc.web.app import create_app

ADMIN_KEY = "cio_test_admin-key-for-import-tests"
EID = "urn:ngsi-ld:AirQualityObserved:tdm-01"
CSV = (
    b"station;time;pm25;pm10\n"
    b"tdm-01;2026-11-25T10:00:00Z;35,5;50\n"
    b"tdm-01;2026-11-25T11:00:00Z;36,5;51\n"
)
MAPPING = {
    "values": {"decimal": ","},
    "entity": {"id": "station", "type": "AirQualityObserved"},
    "series": {"format": "wide", "time": "time", "columns": {"pm25": "pm25", "pm10": "pm10"}},
}


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=database_url, admin_key=ADMIN_KEY, environment="test", max_body_bytes=64_000
    )
    with TestClient(create_app(settings), headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as c:
        yield c


def upload(client: TestClient, data: bytes, name: str, **params: str) -> Any:
    files: dict[str, Any] = {"file": (name, data, "application/octet-stream")}
    return client.post("/api/v1/import", files=files, params=params)


def test_a_multipart_upload_imports_and_the_temporal_api_serves_it(client: TestClient) -> None:
    mapping = orjson.dumps(MAPPING).decode()
    files: dict[str, Any] = {"file": ("tram.csv", CSV, "text/csv"), "mapping": (None, mapping)}
    done = client.post("/api/v1/import", files=files)
    assert done.status_code == 200, done.text
    report = done.json()
    assert report["status"] == "imported" and report["entities"]["createdIds"] == [EID]
    assert report["readings"]["byAttribute"]["pm25"]["count"] == 2
    temporal = client.get(f"/ngsi-ld/v1/temporal/entities/{EID}", params={"attrs": "pm25"})
    assert temporal.status_code == 200, temporal.text
    values = [(i["value"], i["observedAt"]) for i in temporal.json()["pm25"]]
    assert values == [(35.5, "2026-11-25T10:00:00.000Z"), (36.5, "2026-11-25T11:00:00.000Z")]
    entity = client.get(f"/ngsi-ld/v1/entities/{EID}").json()
    assert entity["pm10"]["value"] == 51


def test_a_raw_xlsx_body_in_a_dry_run_writes_nothing(client: TestClient) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["station", "time", "pm25"])
    sheet.append(["tdm-01", datetime(2026, 11, 25, 10), 35.5])
    out = io.BytesIO()
    book.save(out)
    params = {
        "format": "xlsx",
        "dryRun": "true",
        "type": "AirQualityObserved",
        "idColumn": "station",
        "timeColumn": "time",
        "filename": "tram.xlsx",
    }
    dry = client.post("/api/v1/import", content=out.getvalue(), params=params)
    assert dry.status_code == 200, dry.text
    assert dry.json()["status"] == "dry-run" and dry.json()["file"] == "tram.xlsx"
    assert dry.json()["entities"]["created"] == 1
    assert client.get(f"/ngsi-ld/v1/entities/{EID}").status_code == 404
    params.pop("dryRun")
    assert client.post("/api/v1/import", content=out.getvalue(), params=params).status_code == 200
    assert client.get(f"/ngsi-ld/v1/entities/{EID}").json()["pm25"]["value"] == 35.5


def test_a_rejected_file_is_422_with_its_problems(client: TestClient) -> None:
    bad = CSV + b"tdm-02;2026-11-25T10:00:00Z;x;1\n"
    answer = upload(client, bad, "tram.csv", mapping=orjson.dumps(MAPPING).decode())
    assert answer.status_code == 422
    body = answer.json()
    assert body["status"] == "rejected"
    assert body["problems"] == [
        {
            "file": "tram.csv",
            "row": 4,
            "column": "pm25",
            "value": "x",
            "code": "invalid_value",
            "reason": "'x' is not a number",
        }
    ]
    assert client.get(f"/ngsi-ld/v1/entities/{EID}").status_code == 404


def test_bad_requests_are_problem_details(client: TestClient) -> None:
    bad_mapping = upload(client, CSV, "t.csv", mapping='{"entity": {"id": "x"}}')
    assert bad_mapping.status_code == 400
    assert "entity: give exactly one of type" in bad_mapping.json()["detail"]
    no_mapping = upload(client, CSV, "t.csv")
    assert no_mapping.status_code == 400
    unknown = upload(client, CSV, "t.dat", type="T", idColumn="station")
    assert "cannot tell the format" in unknown.json()["detail"]
    bad_format = upload(client, CSV, "t.csv", format="pdf", type="T", idColumn="station")
    assert bad_format.status_code == 400
    no_file = client.post("/api/v1/import", data={"x": "1"}, files={"mapping": (None, "{}")})
    assert no_file.status_code == 400 and "named 'file'" in no_file.json()["detail"]
    empty = client.post("/api/v1/import", content=b"", params={"format": "csv"})
    assert empty.status_code == 400
    too_big = upload(client, b"a,b\n" + b"1,2\n" * 20_000, "t.csv", type="T", idColumn="a")
    assert too_big.status_code == 413


def test_only_admins_and_operators_may_import(client: TestClient) -> None:
    keys = {}
    for role in ("operator", "ingest", "viewer"):
        made = client.post("/api/v1/admin/keys", json={"role": role, "name": role})
        keys[role] = made.json()["key"]
    params = {"type": "AirQualityObserved", "idColumn": "station", "timeColumn": "time"}
    params["decimal"] = ","
    files: dict[str, Any] = {"file": ("t.csv", CSV, "text/csv")}
    for role, status in (("ingest", 403), ("viewer", 403), ("operator", 200)):
        headers = {"Authorization": f"Bearer {keys[role]}"}
        answer = client.post("/api/v1/import", files=files, params=params, headers=headers)
        assert answer.status_code == status, (role, answer.text)
    anonymous = client.post("/api/v1/import", files=files, headers={"Authorization": ""})
    assert anonymous.status_code == 401
    assert client.get(f"/ngsi-ld/v1/entities/{EID}").json()["pm25"]["value"] == 36.5
    trail = client.get("/api/v1/audit", params={"subject": "file:t.csv"}).json()
    operator_id = keys["operator"].split("_")[1]
    assert [(a["action"], a["actor"]) for a in trail] == [("import", f"key:{operator_id}")]

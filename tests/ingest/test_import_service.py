"""File import into the data hub, on both backends: all or nothing, dry run, time series."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Collection
from datetime import datetime
from typing import Any

import orjson
import pytest
from openpyxl import Workbook

from cityioc.core.clock import FakeClock, parse_datetime_ms
from cityioc.hub.context import core_context
from cityioc.hub.models import Mutation, Sample
from cityioc.hub.service import Hub
from cityioc.ingest.dead_letters import DeadLetterFilter, find
from cityioc.ingest.import_mapping import parse_mapping, simple_mapping
from cityioc.ingest.import_report import ImportReport
from cityioc.ingest.import_service import ImportJob, import_file
from cityioc.store.port import AuditRecord, Decide, SeriesKey, Store

pytestmark = pytest.mark.timeout(120)

CORE = core_context()
T = CORE.expand_term
AQ = "urn:ngsi-ld:AirQualityObserved:"
STATIONS = (
    "\ufeffMã trạm;Tên trạm;Kinh độ;Vĩ độ;Thời gian;pm25;pm10\n"
    "tdm-01;Thủ Dầu Một;106,652;10,980;25/11/2026 10:00;35,5;50\n"
    "tdm-01;Thủ Dầu Một;106,652;10,980;25/11/2026 11:00;36,25;\n"
    "da-01;Dĩ An;106,76;10,90;25/11/2026 10:00;12;13,5\n"
).encode()
STATIONS_MAPPING = """
values: {decimal: ",", timezone: "+07:00"}
entity:
  id: Mã trạm
  type: AirQualityObserved
  name: Tên trạm
  location: {lon: Kinh độ, lat: Vĩ độ}
series:
  format: wide
  time: Thời gian
  columns:
    pm25: {column: pm25, unitCode: GQ}
    pm10: pm10
"""


@pytest.fixture
async def hub(store: Store, clock: FakeClock) -> AsyncIterator[Hub]:
    yield Hub(store, clock)


async def run(
    hub: Hub, data: bytes, name: str, mapping: Any, *, dry_run: bool = False
) -> ImportReport:
    chosen = parse_mapping(mapping) if isinstance(mapping, str) else mapping
    job = ImportJob(data, name, chosen)
    return await import_file(hub, "default", job, actor=f"import:{name}", dry_run=dry_run)


async def series(store: Store, eid: str, attr: str) -> list[tuple[int, Any]]:
    key = SeriesKey(eid, T(attr))
    found = (await store.read_series("default", [key], None, None)).get(key)
    return [] if found is None else list(zip(found.times.tolist(), found.values, strict=True))


async def nothing_stored(store: Store) -> bool:
    stats = await store.stats()
    return stats.entities == 0 and stats.samples == 0


def attr(doc: dict[str, Any], name: str) -> dict[str, Any]:
    found = doc[T(name)]
    assert isinstance(found, dict)
    return found


def at(text: str) -> int:
    return parse_datetime_ms(text)


async def test_a_wide_csv_makes_entities_and_time_series(hub: Hub, store: Store) -> None:
    report = await run(hub, STATIONS, "tram.csv", STATIONS_MAPPING)
    assert report.status == "imported", report.problems
    assert report.created == [AQ + "tdm-01", AQ + "da-01"] and report.empty_cells == 1
    assert report.as_json()["readings"] == {
        "count": 5,
        "from": "2026-11-25T03:00:00.000Z",
        "to": "2026-11-25T04:00:00.000Z",
        "byAttribute": {
            "pm10": {
                "count": 2,
                "from": "2026-11-25T03:00:00.000Z",
                "to": "2026-11-25T03:00:00.000Z",
            },
            "pm25": {
                "count": 3,
                "from": "2026-11-25T03:00:00.000Z",
                "to": "2026-11-25T04:00:00.000Z",
            },
        },
    }
    tdm = (await store.get_entities("default", [AQ + "tdm-01"]))[AQ + "tdm-01"]
    assert tdm.types == [CORE.expand_type("AirQualityObserved")]
    assert tdm.doc[T("name")] == {"type": "Property", "value": "Thủ Dầu Một"}
    assert attr(tdm.doc, "location")["value"] == {"type": "Point", "coordinates": [106.652, 10.98]}
    assert tdm.doc[T("pm25")] == {
        "type": "Property",
        "value": 36.25,
        "observedAt": "2026-11-25T04:00:00.000Z",
        "unitCode": "GQ",
    }
    assert tdm.created_by == "import:tram.csv" and tdm.modified_by == "import:tram.csv"
    assert await series(store, AQ + "tdm-01", "pm25") == [
        (at("2026-11-25T03:00:00Z"), 35.5),
        (at("2026-11-25T04:00:00Z"), 36.25),
    ]
    assert await series(store, AQ + "da-01", "pm10") == [(at("2026-11-25T03:00:00Z"), 13.5)]
    trail = await store.audit_trail("default", "file:tram.csv")
    assert [(a.action, a.actor, dict(a.detail or {})) for a in trail] == [
        ("import", "import:tram.csv", {"rows": 3, "entities": 2, "readings": 5})
    ]


async def test_one_bad_row_rejects_the_file_and_stores_nothing(hub: Hub, store: Store) -> None:
    bad = STATIONS + "bd-01;Bến Cát;106,6;91;25/11/2026 10:00;abc;1\n".encode()
    bad += "bd-02;Bến Cát;106,6;11;32/11/2026;1;1\n".encode()
    report = await run(hub, bad, "tram.csv", STATIONS_MAPPING)
    assert report.status == "rejected"
    assert [(p.row, p.column, p.code) for p in report.problems] == [
        (5, "Kinh độ, Vĩ độ", "bad_coordinates"),
        (5, "pm25", "invalid_value"),
        (6, "Thời gian", "bad_date"),
    ]
    assert report.problems[1].as_json() == {
        "file": "tram.csv",
        "row": 5,
        "column": "pm25",
        "value": "abc",
        "code": "invalid_value",
        "reason": "'abc' is not a number",
    }
    assert await nothing_stored(store)
    letters, total = await find(store, DeadLetterFilter(source_kind="file", source="tram.csv"))
    assert total == 2
    by_row = {d.position: d for d in letters}
    assert (
        by_row[5].reason == "bad_coordinates" and "pm25: 'abc' is not a number" in by_row[5].detail
    )
    assert orjson.loads(by_row[5].payload)["cells"]["pm25"] == "abc"
    assert by_row[6].client_id == "import:tram.csv"
    # After the fix, the same file goes in whole.
    fixed = await run(hub, STATIONS, "tram.csv", STATIONS_MAPPING)
    assert fixed.status == "imported" and len(fixed.created) == 2


async def test_a_dry_run_reports_and_writes_nothing(hub: Hub, store: Store) -> None:
    dry = await run(hub, STATIONS, "tram.csv", STATIONS_MAPPING, dry_run=True)
    assert dry.status == "dry-run" and dry.created == [AQ + "tdm-01", AQ + "da-01"]
    assert await nothing_stored(store)
    assert await store.audit_trail("default", "file:tram.csv") == []
    await run(hub, STATIONS, "tram.csv", STATIONS_MAPPING)
    again = await run(hub, STATIONS, "tram.csv", STATIONS_MAPPING, dry_run=True)
    assert (again.created, again.updated) == ([], [])
    assert again.unchanged == [AQ + "tdm-01", AQ + "da-01"]
    renamed = STATIONS.replace("Dĩ An;".encode(), "Dĩ An mới;".encode())
    later = renamed + "tdm-01;Thủ Dầu Một;106,652;10,980;25/11/2026 12:00;40;\n".encode()
    changed = await run(hub, later, "tram.csv", STATIONS_MAPPING, dry_run=True)
    assert sorted(changed.updated) == [AQ + "da-01", AQ + "tdm-01"] and not changed.unchanged
    rejected = await run(
        hub, STATIONS + b"x;y;1;1;bad;1;1\n", "t.csv", STATIONS_MAPPING, dry_run=True
    )
    assert rejected.status == "rejected" and rejected.problems[0].row == 5
    letters, _ = await find(store, DeadLetterFilter(source_kind="file"))
    assert letters == []  # a dry run keeps no dead letters


async def test_importing_the_same_file_twice_changes_nothing(hub: Hub, store: Store) -> None:
    await run(hub, STATIONS, "tram.csv", STATIONS_MAPPING)
    before = await store.get_entities("default", [AQ + "tdm-01"])
    again = await run(hub, STATIONS, "tram.csv", STATIONS_MAPPING)
    assert again.unchanged == [AQ + "tdm-01", AQ + "da-01"] and not again.updated
    assert await store.get_entities("default", [AQ + "tdm-01"]) == before
    assert len(await series(store, AQ + "tdm-01", "pm25")) == 2  # repeats are stored once


class CrashingStore:
    """A store whose transactions fail at the very end, after the entities and samples."""

    def __init__(self, inner: Store) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def mutate(
        self,
        tenant: str,
        ids: Collection[str],
        decide: Decide,
        actor: str,
        audit: Collection[AuditRecord] = (),
    ) -> Mutation:
        def crashing(current: Any) -> Mutation:
            mutation = decide(current)
            poison = Sample(AQ + "tdm-01", T("pm25"), 1, object())  # cannot be encoded
            mutation.samples.append(poison)
            return mutation

        return await self.inner.mutate(tenant, ids, crashing, actor, audit)


async def test_a_crash_inside_the_transaction_leaves_nothing(
    store: Store, clock: FakeClock
) -> None:
    hub = Hub(CrashingStore(store), clock)
    with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises
        await run(hub, STATIONS, "tram.csv", STATIONS_MAPPING)
    assert await nothing_stored(store)
    assert await store.audit_trail("default", "file:tram.csv") == []


LONG = (
    b"station,parameter,value,unit,time\n"
    b"tdm-01,PM2.5,35.5,GQ,2026-11-25T10:00:00Z\n"
    b"tdm-01,PM2.5,36,GQ,2026-11-25T11:00:00Z\n"
    b"tdm-01,PM10,,GQ,2026-11-25T11:00:00Z\n"
    b"da-01,PM10,20,GQ,2026-11-25T10:00:00Z\n"
)
LONG_MAPPING = """
entity: {id: station, type: AirQualityObserved}
series:
  format: long
  time: time
  attribute: parameter
  value: value
  unit: unit
  attributes: {"PM2.5": pm25, PM10: pm10}
"""


async def test_long_format_readings_create_their_entities(hub: Hub, store: Store) -> None:
    report = await run(hub, LONG, "long.csv", LONG_MAPPING)
    assert report.status == "imported", report.problems
    assert report.created == [AQ + "tdm-01", AQ + "da-01"] and report.empty_cells == 1
    assert await series(store, AQ + "tdm-01", "pm25") == [
        (at("2026-11-25T10:00:00Z"), 35.5),
        (at("2026-11-25T11:00:00Z"), 36),
    ]
    da = (await store.get_entities("default", [AQ + "da-01"]))[AQ + "da-01"]
    assert attr(da.doc, "pm10")["unitCode"] == "GQ" and da.created_by == "import:long.csv"


async def test_unknown_attribute_in_long_format_is_a_row_problem(hub: Hub, store: Store) -> None:
    report = await run(hub, LONG + b"da-01,SO2,3,GQ,2026-11-25T10:00:00Z\n", "l.csv", LONG_MAPPING)
    assert [(p.row, p.column, p.code) for p in report.problems] == [
        (6, "parameter", "unknown_attribute")
    ]
    assert "unknown attribute 'SO2' (known: PM10, PM2.5)" in report.problems[0].reason
    assert await nothing_stored(store)


async def test_readings_for_an_entity_that_may_not_be_created(hub: Hub, store: Store) -> None:
    strict = LONG_MAPPING.replace(
        "type: AirQualityObserved}", "type: AirQualityObserved, create_missing: false}"
    )
    for dry_run in (True, False):
        report = await run(hub, LONG, "long.csv", strict, dry_run=dry_run)
        assert {(p.row, p.code) for p in report.problems} == {
            (2, "unknown_entity"),
            (3, "unknown_entity"),
            (5, "unknown_entity"),
        }
        assert "auto-create is off" in report.problems[0].reason
    assert await nothing_stored(store)


async def test_unknown_columns_are_named_with_a_guess(hub: Hub, store: Store) -> None:
    mapping = STATIONS_MAPPING.replace("name: Tên trạm", "name: Ten tram")
    report = await run(hub, STATIONS, "tram.csv", mapping)
    assert [(p.row, p.column, p.code) for p in report.problems] == [
        (None, "Ten tram", "unknown_column")
    ]
    assert "did you mean 'Tên trạm'?" in report.problems[0].reason
    assert await nothing_stored(store)


async def test_rows_that_disagree_about_an_entity(hub: Hub, store: Store) -> None:
    data = STATIONS.replace(
        "tdm-01;Thủ Dầu Một;106,652;10,980;25/11/2026 11:00".encode(),
        b"tdm-01;TDM;106,652;10,980;25/11/2026 11:00",
    )
    report = await run(hub, data, "tram.csv", STATIONS_MAPPING)
    assert [(p.row, p.column, p.code) for p in report.problems] == [
        (3, "Tên trạm", "conflicting_values")
    ]
    assert "differs from row 2" in report.problems[0].reason


async def test_an_xlsx_sheet_with_properties_and_relationships(hub: Hub, store: Store) -> None:
    book = Workbook()
    book.active.title = "Ghi chú"  # type: ignore[union-attr]
    sheet = book.create_sheet("Phường xã")
    sheet.append(["Danh sách phường, xã"])
    sheet.append(["Mã", "Tên", "Huyện", "Dân số", "Diện tích", "Thành lập", "Đô thị"])
    sheet.append(["25747", "Phú Cường", "TDM", 21000, 1.25, datetime(2013, 5, 2), "có"])
    sheet.append(["25750", "Hiệp Thành", "TDM", None, 2.5, "02/05/2013", "không"])
    out = io.BytesIO()
    book.save(out)
    mapping = """
source: {sheet: Phường xã, header_row: 2}
entity:
  id_template: "urn:ngsi-ld:AdministrativeArea:ward-{Mã}"
  type: AdministrativeArea
  name: Tên
  properties:
    population: {column: Dân số, type: integer}
    area: {column: Diện tích, type: number, unitCode: KMK}
    founded: {column: Thành lập, type: date}
    urban: {column: Đô thị, type: bool}
  relationships:
    refDistrict: {column: Huyện, target: "urn:ngsi-ld:District:{value}"}
"""
    report = await run(hub, out.getvalue(), "phuong.xlsx", mapping)
    assert report.status == "imported", report.problems
    ward = "urn:ngsi-ld:AdministrativeArea:ward-25747"
    doc = (await store.get_entities("default", [ward]))[ward].doc
    assert attr(doc, "population")["value"] == 21000
    assert doc[T("area")] == {"type": "Property", "value": 1.25, "unitCode": "KMK"}
    assert attr(doc, "founded")["value"] == "2013-05-02" and attr(doc, "urban")["value"] is True
    assert doc[T("refDistrict")] == {"type": "Relationship", "object": "urn:ngsi-ld:District:TDM"}
    other = "urn:ngsi-ld:AdministrativeArea:ward-25750"
    doc = (await store.get_entities("default", [other]))[other].doc
    assert T("population") not in doc and attr(doc, "founded")["value"] == "2013-05-02"


async def test_geojson_features_with_their_geometry(hub: Hub, store: Store) -> None:
    line = {"type": "LineString", "coordinates": [[106.65, 10.98], [106.66, 10.99]]}
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"ma": "D1", "cong_suat": 150},
                "geometry": {"type": "Point", "coordinates": [106.65, 10.98]},
            },
            {"type": "Feature", "properties": {"ma": "D2", "cong_suat": 100}, "geometry": line},
        ],
    }
    mapping = simple_mapping(entity_type="Streetlight", id_column="ma", geometry=True)
    report = await run(hub, orjson.dumps(doc), "den.geojson", mapping)
    assert report.status == "imported", report.problems
    d2 = "urn:ngsi-ld:Streetlight:D2"
    found = (await store.get_entities("default", [d2]))[d2].doc
    assert found[T("location")] == {"type": "GeoProperty", "value": line}
    assert attr(found, "cong_suat")["value"] == 100
    doc["features"].append(  # type: ignore[attr-defined]
        {
            "type": "Feature",
            "properties": {"ma": "D3"},
            "geometry": {"type": "Point", "coordinates": [200, 1]},
        }
    )
    doc["features"].append({"type": "Feature", "properties": {}, "geometry": None})  # type: ignore[attr-defined]
    report = await run(hub, orjson.dumps(doc), "den.geojson", mapping)
    assert [(p.feature, p.code) for p in report.problems] == [
        (2, "bad_coordinates"),
        (3, "missing_id"),
    ]

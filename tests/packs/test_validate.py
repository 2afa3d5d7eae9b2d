"""Pack validation: every problem names its file and line, and all are reported at once."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cityioc.packs import PackError, validate_pack
from tests.packs.minimal import AGENCIES, AREAS, LINES, MANIFEST, SENSORS, write_pack


def problems_of(root: Path) -> list[str]:
    with pytest.raises(PackError) as caught:
        validate_pack(root)
    return [str(p) for p in caught.value.problems]


def test_the_minimal_pack_is_valid(tmp_path: Path) -> None:
    pack = validate_pack(write_pack(tmp_path / "p"))
    assert pack.name == "test-city"
    assert len(pack.areas) == 6
    assert [a.id for a in pack.agencies] == ["env", "ubnd-W1", "ubnd-W2"]
    assert pack.agencies[1].name.vi == "UBND Phường Một"
    assert pack.agencies[1].valid_from is not None  # inherited from the ward
    fleet = pack.fleet
    assert fleet.count_by_type() == {
        "AirQualityObserved": 1,
        "FloodMonitoring": 1,
        "Streetlight": 26,
    }
    flood = next(s for s in fleet.sensors if s.type == "FloodMonitoring")
    assert flood.area == "W2"  # found from lon/lat among the areas valid on as_of
    assert flood.attributes["alertLevel"] == {"type": "Property", "value": 0.2, "unitCode": "MTR"}


def test_a_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    broken = AGENCIES.replace('name: {vi: "Sở Môi trường"', 'name: {vi: "Sở Môi trường"]')
    found = problems_of(write_pack(tmp_path / "p", agencies_yaml=broken))
    assert found[0].startswith("agencies.yaml:3: not valid YAML")


def test_a_bad_field_names_file_line_and_field(tmp_path: Path) -> None:
    bad = AGENCIES.replace("  kind: peoplesCommittee", "  kind: ministry")
    found = problems_of(write_pack(tmp_path / "p", agencies_yaml=bad))
    assert len(found) == 1
    assert found[0].startswith("agencies.yaml:8: kind: Input should be 'operationsCentre'")


def test_an_unknown_area_in_a_sensor_row_names_the_row(tmp_path: Path) -> None:
    sensors = SENSORS.replace("10.99,W1,", "10.99,W9,")
    assert problems_of(write_pack(tmp_path / "p", sensors_csv=sensors)) == [
        "sensors.csv:2: unknown area 'W9'"
    ]


def test_a_sensor_in_an_area_not_valid_on_as_of_is_refused(tmp_path: Path) -> None:
    sensors = SENSORS.replace("10.99,W1,", "10.99,D1,")
    assert problems_of(write_pack(tmp_path / "p", sensors_csv=sensors)) == [
        "sensors.csv:2: area D1 is not valid on 2025-07-01 (pack.yaml as_of)"
    ]


def test_areas_unknown_parent_bad_date_and_validity_outside_the_parent(tmp_path: Path) -> None:
    areas = (
        AREAS.replace("D1,district,huyện,Huyện Bắc,North District,P,", "D1,district,huyện,"
                      "Huyện Bắc,North District,X,")
        .replace("P,,2025-07-01,106.70,10.90", "P,,2025-13-01,106.70,10.90")
        .replace("W2,commune,phường,Phường Hai,Ward Two,N,2025-07-01", "W2,commune,phường,"
                 "Phường Hai,Ward Two,N,2024-01-01")
    )  # fmt: skip
    found = problems_of(write_pack(tmp_path / "p", areas_csv=areas))
    assert found[0] == "areas.csv:4: unknown parent area 'X'"
    assert found[1].startswith("areas.csv:5: column valid_to: Input should be a valid date")
    assert found[2] == (
        "areas.csv:8: area W2 is valid from 2024-01-01 to on but its parent N only from"
        " 2025-07-01 to on"
    )


def test_every_problem_in_every_file_is_reported_together(tmp_path: Path) -> None:
    root = write_pack(
        tmp_path / "p",
        pack_yaml=MANIFEST.replace("name: test-city", "name: test-city\nnonsense: 1"),
        sensors_csv=SENSORS.replace("0.0,0.2,0.5", "0.0,0.6,0.5"),
        sensor_lines_yaml=LINES.replace('name: "Đèn {n}"', 'name: "Đèn {m}"'),
        categories_yaml="- code: flood\n  name: {vi: x, en: y}\n  cap_category: Met\n"
        "  default_agency: nobody\n",
    )
    with pytest.raises(PackError) as caught:
        validate_pack(root)
    # the manifest is read first: its problem stops validation, since sections need it
    assert [str(p) for p in caught.value.problems] == [
        "pack.yaml:3: nonsense: Extra inputs are not permitted"
    ]
    (root / "pack.yaml").write_text(MANIFEST, encoding="utf-8")
    found = problems_of(root)
    assert found == [
        "categories.yaml:1: category flood: unknown default agency 'nobody'",
        "sensor-lines.yaml:6: name: bad template 'Đèn {m}' ('m'; placeholders: {n}, {g})",
        "sensors.csv:3: levels must rise: referenceLevel ≤ alertLevel ≤ dangerLevel",
    ]
    with pytest.raises(PackError) as again:
        validate_pack(root)
    assert "sensors.csv:3: levels must rise" in str(again.value)


def test_unknown_tags_types_and_files_are_reported(tmp_path: Path) -> None:
    root = write_pack(
        tmp_path / "p",
        sensors_csv=SENSORS.replace("industrial,true", "industial,true").replace(
            "FloodMonitoring", "FloodMonitor"
        ),
    )
    (root / "sensor.csv").write_text("typo", encoding="utf-8")
    (root / "README.md").write_text("documentation is fine", encoding="utf-8")
    found = problems_of(root)
    assert found[0].startswith("sensor.csv: not part of the pack format (known files: ")
    assert found[1].startswith("sensors.csv:2: unknown tag(s) industial (pack.yaml")
    assert found[2].startswith("sensors.csv:3: unknown sensor type 'FloodMonitor' (known: ")


def test_reserved_sections_are_checked_for_shape(tmp_path: Path) -> None:
    projects = "- id: flood-alert\n  when: level > alert\n- when: no id here\n- id: flood-alert\n"
    found = problems_of(write_pack(tmp_path / "p", projects_yaml=projects, partners_yaml="a: b\n"))
    assert found == [
        "partners.yaml:1: the file must hold a list of items",
        "projects.yaml:3: each item needs an id (a string)",
        "projects.yaml:4: id flood-alert is already used on line 1",
    ]
    good = write_pack(tmp_path / "q", projects_yaml="- id: flood-alert\n  anything: goes\n")
    assert validate_pack(good).section("projects") == [{"id": "flood-alert", "anything": "goes"}]


def test_a_newer_format_and_a_missing_pack_are_refused(tmp_path: Path) -> None:
    newer = MANIFEST.replace("format_version: 1", "format_version: 9")
    assert problems_of(write_pack(tmp_path / "p", pack_yaml=newer)) == [
        "pack.yaml:1: format_version: format_version 9 is newer than this cityioc reads (1)"
    ]
    with pytest.raises(PackError, match=r"no pack\.yaml"):
        validate_pack(tmp_path / "nowhere")
    with pytest.raises(PackError, match="built-in packs: binh-duong"):
        validate_pack("no-such-city")
    missing_areas = problems_of(write_pack(tmp_path / "q", areas_csv=None))
    assert missing_areas[0] == "areas.csv: missing: a pack needs its areas"


BOUNDARIES = """\
{"type": "FeatureCollection", "features": [
  {"type": "Feature", "properties": {"code": "W1"},
   "geometry": {"type": "Polygon", "coordinates": [[[106.6, 10.95], [106.8, 10.95],
     [106.8, 11.1], [106.6, 11.1], [106.6, 10.95]]]}},
  {"type": "Feature", "properties": {"code": "ZZ"},
   "geometry": {"type": "Polygon", "coordinates": [[[1, 1], [2, 1], [2, 2], [1, 1]]]}},
  {"type": "Feature", "properties": {"code": "W2"},
   "geometry": {"type": "Point", "coordinates": [106.7, 10.9]}}
]}
"""


def test_boundaries_are_checked_per_feature_and_used_when_valid(tmp_path: Path) -> None:
    found = problems_of(write_pack(tmp_path / "p", areas_geojson=BOUNDARIES))
    assert found == [
        "areas.geojson:5: unknown area 'ZZ'",
        "areas.geojson:8: a boundary must be a Polygon or MultiPolygon",
    ]
    good = BOUNDARIES.partition(',\n  {"type": "Feature", "properties": {"code": "ZZ"}')[0] + "]}"
    pack = validate_pack(write_pack(tmp_path / "q", areas_geojson=good))
    ward = pack.areas.get("W1")
    assert ward is not None and ward.boundary is not None
    found_area = pack.areas.area_at((106.79, 10.96), date(2026, 1, 1))
    assert found_area is not None and found_area.code == "W1"  # inside, though nearer W2's centroid

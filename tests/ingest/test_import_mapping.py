"""The import mapping: validated with errors that name the key, and the simple CLI form."""

from __future__ import annotations

import pytest

from cityioc.ingest.import_mapping import (
    LongSeries,
    MappingError,
    PropertySpec,
    WideSeries,
    parse_mapping,
    simple_mapping,
)

FULL = """
source: {format: xlsx, sheet: "Số liệu", header_row: 3}
values: {decimal: ",", timezone: Asia/Ho_Chi_Minh, date_format: "%d/%m/%Y"}
entity:
  id_template: "urn:ngsi-ld:{type}:{Mã trạm}"
  type: AirQualityObserved
  name: Tên trạm
  location: {lon: Kinh độ, lat: Vĩ độ}
  properties:
    stationCode: Mã trạm
    population: {column: Dân số, type: integer, unitCode: C62}
  relationships:
    refDistrict: {column: Huyện, target: "urn:ngsi-ld:District:{value}"}
series:
  format: long
  time: Thời gian
  attribute: Chỉ số
  value: Giá trị
  attributes: {"PM2.5": pm25, PM10: pm10}
"""


def test_a_full_mapping_reads_from_yaml() -> None:
    m = parse_mapping(FULL)
    assert m.source.sheet == "Số liệu" and m.source.header_row == 3
    assert m.values.options().decimal == ","
    assert m.entity.properties["stationCode"] == PropertySpec(column="Mã trạm")
    assert m.entity.properties["population"].unit_code == "C62"
    assert isinstance(m.series, LongSeries) and m.series.attributes["PM2.5"] == "pm25"
    named = dict((column, key) for key, column in m.named_columns())
    assert named["Mã trạm"] == "entity.properties.stationCode.column"
    assert named["Huyện"] == "entity.relationships.refDistrict.column"
    assert set(named) >= {"Tên trạm", "Kinh độ", "Vĩ độ", "Thời gian", "Chỉ số", "Giá trị"}


def test_json_is_a_mapping_too() -> None:
    m = parse_mapping('{"entity": {"id": "code", "type": "Streetlight"}}')
    assert m.entity.id == "code" and m.series is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("entity: {id: a, type: T, propertes: {}}", "entity.propertes: Extra inputs"),
        ("entity: {type: T}", "entity: give exactly one of id (a column) or id_template"),
        ("entity: {id: a, type: T, type_column: k}", "entity: give exactly one of type or"),
        (
            "entity: {id: a, type: T, properties: {p: {column: c, type: numeric}}}",
            "entity.properties.p.type: Input should be 'auto', 'number'",
        ),
        ("entity: {id: a, type: T, location: {lon: x}}", "entity.location: give both lon and lat"),
        (
            "entity: {id: a, type: T, location: {lon: x, lat: y, wkt: w}}",
            "entity.location: give exactly one of",
        ),
        ("entity: {id: a, type: T}\nseries: {format: wide}", "series.time: Field required"),
        ("entity: {id: a, type: T}\nseries: {format: tall, time: t}", "series: Input tag 'tall'"),
        ("entity: {id: a, type: T}\nvalues: {timezone: Mars}", "values: unknown time zone"),
        ("entity: {id: a, type: T}\nvalues: {decimal: ';'}", "values.decimal: Input should be"),
        ("entity: {id: a, type: T}\nsource: {header_row: 0}", "source.header_row: Input should"),
        ("entity: {id: a, type: T}\nother_columns: series", "needs series.format: wide"),
        ("entity: {id: a, type: T, properties: {id: x}}", "not attribute names: 'id'"),
        ("entity: {id: a, type: T, name: n, properties: {name: x}}", "'name' is mapped twice"),
        ("entity: {id_template: 'urn:{x', type: T}", "unbalanced brace"),
        ("entity: {id_template: 'urn:x:{value}', type: T}", "only for relationship targets"),
        ("entity: [1, 2]", "entity: Input should be a valid dictionary"),
        ("- just a list", "(top): the mapping must be an object"),
        ("entity: {id: a\n  type: T", "not valid YAML or JSON at line"),
    ],
)
def test_mapping_errors_name_the_key(text: str, expected: str) -> None:
    with pytest.raises(MappingError) as caught:
        parse_mapping(text)
    assert any(expected in p for p in caught.value.problems), caught.value.problems
    assert expected.split(":", maxsplit=1)[0] in caught.value.detail


def test_every_problem_of_a_mapping_is_reported_at_once() -> None:
    text = """
entity: {id: a, type: T, properties: {p: {column: c, type: numeric, unit: x}}}
source: {header_row: -1}
"""
    with pytest.raises(MappingError) as caught:
        parse_mapping(text)
    keys = sorted(p.split(":")[0] for p in caught.value.problems)
    assert keys == ["entity.properties.p.type", "entity.properties.p.unit", "source.header_row"]


def test_simple_mapping_static_properties_or_wide_series() -> None:
    static = simple_mapping(
        entity_type="District", id_column="code", lon_column="x", lat_column="y"
    )
    assert static.other_columns == "properties" and static.series is None
    done = static.with_other_columns(["code", "x", "y", "name", "population", ""])
    assert list(done.entity.properties) == ["name", "population"]
    wide = simple_mapping(entity_type="AQ", id_column="st", time_column="t", sheet="2")
    assert wide.source.sheet == 2
    done = wide.with_other_columns(["st", "t", "pm25", "pm10"])
    assert isinstance(done.series, WideSeries) and list(done.series.columns) == ["pm25", "pm10"]
    with pytest.raises(MappingError, match="decimal"):
        simple_mapping(entity_type="AQ", id_column="st", decimal=";")

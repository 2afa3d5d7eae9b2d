"""Reading CSV, XLSX and GeoJSON files row by row, and converting their cells."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import orjson
import pytest
from openpyxl import Workbook

from cityioc.core.clock import parse_datetime_ms
from cityioc.ingest import import_values as v
from cityioc.ingest.tabular import (
    EXTRA,
    TableOptions,
    TabularError,
    detect_format,
    geojson_columns,
    read_csv,
    read_geojson,
    read_xlsx,
    sniff_delimiter,
)


def csv_rows(
    data: bytes, **options: object
) -> tuple[list[str], list[tuple[int, dict[str, object]]]]:
    with read_csv(io.BytesIO(data), TableOptions(**options)) as table:  # type: ignore[arg-type]
        return table.columns, list(table.rows)


# --- CSV -----------------------------------------------------------------------------------------


def test_csv_with_commas_gives_line_numbers_and_none_for_empty_cells() -> None:
    with read_csv(io.BytesIO(b"code,name,pm25\nTDM,Thu Dau Mot,35.5\nDA,,")) as table:
        assert table.total == 2
    columns, rows = csv_rows(b"code,name,pm25\nTDM,Thu Dau Mot,35.5\nDA,,\n")
    assert columns == ["code", "name", "pm25"]
    assert rows == [
        (2, {"code": "TDM", "name": "Thu Dau Mot", "pm25": "35.5"}),
        (3, {"code": "DA", "name": None, "pm25": None}),
    ]


def test_csv_with_semicolons_decimal_commas_and_a_bom_is_detected() -> None:
    data = "\ufeffmã trạm;tên;pm25\nTDM;Thủ Dầu Một;35,5\nDA;Dĩ An;12,25\n".encode()
    columns, rows = csv_rows(data)
    assert columns == ["mã trạm", "tên", "pm25"]  # the BOM is not part of the first name
    assert rows[1] == (3, {"mã trạm": "DA", "tên": "Dĩ An", "pm25": "12,25"})
    assert v.number(rows[0][1]["pm25"], ",") == 35.5


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1,5;2,5;3\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ("only\n1\n2\n", ","),
        ("a;b\n1,5;2\n3;4,25\n", ";"),
    ],
)
def test_delimiter_sniffing(sample: str, expected: str) -> None:
    assert sniff_delimiter(sample) == expected


def test_csv_skips_title_lines_and_blank_lines_and_counts_quoted_line_breaks() -> None:
    data = b'Bao cao thang 11\n\ncode,note\nA,"two\nlines"\n\nB,x\n'
    columns, rows = csv_rows(data, header_row=3)
    assert columns == ["code", "note"]
    assert rows == [(4, {"code": "A", "note": "two\nlines"}), (7, {"code": "B", "note": "x"})]


def test_csv_cells_beyond_the_header_are_kept_apart() -> None:
    _, rows = csv_rows(b"code,pm25\nA,35,5\n", delimiter=",")
    assert rows == [(2, {"code": "A", "pm25": "35", EXTRA: ["5"]})]


def test_csv_header_problems_and_encodings() -> None:
    with pytest.raises(TabularError, match="'a' twice"):
        csv_rows(b"a,b,a\n1,2,3\n")
    with pytest.raises(TabularError, match="no header line"):
        csv_rows(b"")
    with pytest.raises(TabularError, match="not UTF-8"):
        csv_rows("tên,x\nĐà,1\n".encode("cp1258"))
    columns, rows = csv_rows("tên,x\nĐà,1\n".encode("cp1258"), encoding="cp1258")
    assert columns == ["tên", "x"] and rows[0][1]["tên"] == "Đà"
    with pytest.raises(TabularError, match="unknown text encoding"):
        csv_rows(b"a\n1\n", encoding="klingon")


def test_a_long_csv_is_read_as_a_stream() -> None:
    body = b"n,v\n" + b"".join(b"%d,%d\n" % (i, i * 2) for i in range(50_000))
    with read_csv(io.BytesIO(body)) as table:
        assert table.total == 50_000  # counted beyond the sniffed sample
        first = next(table.rows)
        assert first == (2, {"n": "0", "v": "0"})
        assert sum(1 for _ in table.rows) == 49_999


# --- XLSX ----------------------------------------------------------------------------------------


def workbook(*sheets: tuple[str, list[list[object]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_rows(
    data: bytes, **options: object
) -> tuple[list[str], list[tuple[int, dict[str, object]]]]:
    with read_xlsx(io.BytesIO(data), TableOptions(**options)) as table:  # type: ignore[arg-type]
        return table.columns, list(table.rows)


def test_xlsx_keeps_cell_types_and_row_numbers() -> None:
    data = workbook(
        ("Ghi chú", [["not this sheet"]]),
        (
            "Số liệu",
            [
                ["Chỉ tiêu", "Kỳ", "Giá trị", None],
                ["GRDP", datetime(2026, 10, 1), 8.5, "note without header"],
                [None, None, None],
                ["  CPI  ", date(2026, 10, 1), 3, None],
            ],
        ),
    )
    columns, rows = xlsx_rows(data, sheet="Số liệu")
    assert columns == ["Chỉ tiêu", "Kỳ", "Giá trị", ""]
    assert rows == [
        (2, {"Chỉ tiêu": "GRDP", "Kỳ": datetime(2026, 10, 1), "Giá trị": 8.5}),
        (4, {"Chỉ tiêu": "CPI", "Kỳ": datetime(2026, 10, 1), "Giá trị": 3}),
    ]
    assert xlsx_rows(data, sheet=2) == (columns, rows)
    assert xlsx_rows(data)[0] == ["not this sheet"]  # the first sheet by default


def test_xlsx_header_row_and_sheet_errors() -> None:
    data = workbook(("S", [["Báo cáo tháng 11"], [], ["code", "v"], ["A", 1]]))
    columns, rows = xlsx_rows(data, header_row=3)
    assert columns == ["code", "v"] and rows == [(4, {"code": "A", "v": 1})]
    with pytest.raises(TabularError, match=r"no sheet 'X' in the workbook \(sheets: S\)"):
        xlsx_rows(data, sheet="X")
    with pytest.raises(TabularError, match="no sheet 3"):
        xlsx_rows(data, sheet=3)
    with pytest.raises(TabularError, match="not an XLSX workbook"):
        xlsx_rows(b"code,v\nA,1\n")
    with pytest.raises(TabularError, match="'code' twice"):
        xlsx_rows(workbook(("S", [["code", "code"], [1, 2]])))


# --- GeoJSON -------------------------------------------------------------------------------------


def test_geojson_features_in_order_with_their_index() -> None:
    point = {"type": "Point", "coordinates": [106.65, 10.98]}
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "id": "L1", "properties": {"name": "Đèn 1"}, "geometry": point},
            {"type": "Feature", "properties": None, "geometry": None},
            {"type": "Polygon"},
        ],
    }
    features = read_geojson(orjson.dumps(doc))
    assert features == [
        (0, {"name": "Đèn 1", "id": "L1"}, point),
        (1, {}, None),
        (2, None, None),
    ]
    assert geojson_columns(features) == ["name", "id"]
    single = {"type": "Feature", "properties": {"a": 1}, "geometry": point}
    assert read_geojson(orjson.dumps(single)) == [(0, {"a": 1}, point)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"type": "Point", "coordinates": [1, 2]}', "not a GeoJSON FeatureCollection"),
        (b'{"type": "FeatureCollection"}', "no 'features' array"),
    ],
)
def test_geojson_that_cannot_be_read(data: bytes, message: str) -> None:
    with pytest.raises(TabularError, match=message):
        read_geojson(data)


def test_format_from_extension_then_media_type() -> None:
    assert detect_format("Số liệu.XLSX") == "xlsx"
    assert detect_format("assets.geojson", "text/plain") == "geojson"
    assert detect_format("upload", "text/csv; charset=utf-8") == "csv"
    assert detect_format("upload", "application/octet-stream") is None
    assert detect_format(None) is None


# --- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("35.5", ".", 35.5),
        ("1,234.5", ".", 1234.5),
        ("-12", ".", -12),
        ("1e-3", ".", 0.001),
        ("35,5", ",", 35.5),
        ("1.234.567,89", ",", 1234567.89),
        ("1 234,5", ",", 1234.5),
        ("1\u00a0234", ",", 1234),
        ("1.500", ",", 1500),
    ],
)
def test_numbers_with_either_decimal_mark(text: str, decimal: str, expected: float) -> None:
    assert v.number(text, decimal) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "decimal", "hint"),
    [
        ("35,5", ".", "decimal comma"),
        ("1.5", ",", "groups thousands"),
        ("abc", ".", "not a number"),
        ("", ".", "not a number"),
        ("1,2,3", ".", "not a number"),
    ],
)
def test_what_is_not_a_number(text: str, decimal: str, hint: str) -> None:
    with pytest.raises(v.ValueProblem, match=hint):
        v.number(text, decimal)  # type: ignore[arg-type]


def test_other_conversions() -> None:
    opts = v.ValueOptions(decimal=",", timezone=v.zone("Asia/Ho_Chi_Minh"))
    assert v.convert("có", "bool", opts) is True and v.convert("0", "bool", opts) is False
    assert v.convert("25/11/2026", "date", opts) == "2026-11-25"
    assert v.convert(datetime(2026, 11, 25, 10, 0), "datetime", opts) == "2026-11-25T03:00:00.000Z"
    assert v.instant_ms("2026-11-25T10:00:00Z", opts) == parse_datetime_ms("2026-11-25T10:00:00Z")
    assert v.instant_ms("25/11/2026 10:00", opts) == parse_datetime_ms("2026-11-25T10:00:00+07:00")
    assert v.convert("007", "auto", opts) == "007"  # a code, not a number
    assert v.convert("3,5", "auto", opts) == 3.5
    assert v.convert(12.0, "auto", opts) == 12
    assert v.convert(12.0, "text", opts) == "12"
    assert v.convert("2", "integer", opts) == 2
    with pytest.raises(v.ValueProblem, match="whole number"):
        v.convert("2,5", "integer", opts)
    with pytest.raises(v.ValueProblem, match="not a date"):
        v.convert("31/02/2026", "date", opts)
    with pytest.raises(v.ValueProblem, match="yes/no"):
        v.convert("maybe", "bool", opts)
    with pytest.raises(ValueError, match="unknown time zone"):
        v.zone("Mars/Olympus")
    assert v.zone("+07:00").utcoffset(None).total_seconds() == 7 * 3600  # type: ignore[union-attr]
    assert v.zone("UTC") is UTC


def test_geometries_and_coordinates() -> None:
    assert v.point("106,65", "10,98", ",") == {"type": "Point", "coordinates": [106.65, 10.98]}
    with pytest.raises(v.ValueProblem, match="latitude"):
        v.point(106.6, 91)
    with pytest.raises(v.ValueProblem, match="longitude"):
        v.point(-181, 10)
    assert v.geometry_from_wkt("LINESTRING (106.6 10.9, 106.7 11)") == {
        "type": "LineString",
        "coordinates": [[106.6, 10.9], [106.7, 11.0]],
    }
    with pytest.raises(v.ValueProblem, match="not valid WKT"):
        v.geometry_from_wkt("POINT (1")
    assert v.geometry('{"type": "Point", "coordinates": [1, 2]}')["coordinates"] == [1, 2]
    with pytest.raises(v.ValueProblem):
        v.geometry({"type": "Point", "coordinates": [1]})

"""Reading tabular files row by row: CSV, XLSX and GeoJSON FeatureCollections.

Pure and streaming: nothing here knows about entities or databases, so the file import and the
indicators upload share it. Rows come out as ``(number, {column: value})`` where the number is what
a person sees in their program: the line of a CSV file, the row of a spreadsheet. Features come out
as ``(index, properties, geometry)`` with the 0-based index of ``features[i]``.

CSV cells are text (stripped; empty cells are ``None``); XLSX cells keep their spreadsheet types
(numbers, dates as naive ``datetime``, booleans, text). Converting values is the caller's job
(``cityioc.ingest.import_values``), since only the caller knows what a column means.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO, Any, Literal

import orjson

from cityioc.core.errors import BadRequestData

Format = Literal["csv", "xlsx", "geojson"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "geojson")
Row = tuple[int, dict[str, Any]]
# (index, properties or None when the item is not a GeoJSON Feature, geometry or None)
Feature = tuple[int, dict[str, Any] | None, dict[str, Any] | None]
# CSV cells beyond the header's width are kept under this key: they usually mean an unquoted
# decimal comma in a comma-separated file, which the caller reports.
EXTRA = ""

_EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".geojson": "geojson",
    ".json": "geojson",
}
_MEDIA_TYPES: dict[str, Format] = {
    "text/csv": "csv",
    "text/plain": "csv",
    "text/tab-separated-values": "csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/geo+json": "geojson",
    "application/json": "geojson",
}
_DELIMITERS = ",;\t|"
_SNIFF_BYTES = 64 * 1024


class TabularError(BadRequestData):
    """The file as a whole cannot be read (not UTF-8, not a workbook, no such sheet…)."""


@dataclass(frozen=True, slots=True)
class TableOptions:
    """How to read a table. ``header_row`` is 1-based (title lines above it are skipped)."""

    sheet: str | int | None = None  # XLSX: a sheet name or a 1-based position; default the first
    header_row: int = 1
    delimiter: str | None = None  # CSV: detected among , ; TAB | when not given
    encoding: str = "utf-8-sig"  # CSV: UTF-8 with or without a byte order mark


@dataclass(slots=True)
class Table:
    """The columns of a table and an iterator over its rows; close it (or use ``with``)."""

    columns: list[str]
    rows: Iterator[Row]
    total: int | None = None  # an estimate of the number of rows, for progress bars
    _close: list[Any] = field(default_factory=list)

    def close(self) -> None:
        for closable in self._close:
            closable.close()
        self._close.clear()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def detect_format(filename: str | None, media_type: str | None = None) -> Format | None:
    """The format named by the file's extension or, failing that, by a media type.

    The extension first: uploads often carry a generic type (text/plain, octet-stream).
    """
    if filename:
        found = _EXTENSIONS.get(PurePath(filename).suffix.lower())
        if found:
            return found
    if media_type:
        return _MEDIA_TYPES.get(media_type.split(";")[0].strip().lower())
    return None


# --- CSV -----------------------------------------------------------------------------------------


def read_csv(stream: IO[bytes], options: TableOptions = TableOptions()) -> Table:
    """Rows of a CSV file (a seekable stream); the delimiter is detected from the first 64 KiB
    unless given."""
    head = stream.read(_SNIFF_BYTES)
    lines = _count_lines(stream, head)
    stream.seek(0)
    sample = _decode_sample(head, options.encoding)
    delimiter = options.delimiter or sniff_delimiter(sample)
    if len(delimiter) != 1:
        raise TabularError(f"the CSV delimiter must be one character, not {delimiter!r}")
    text = io.TextIOWrapper(stream, encoding=options.encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = _skip_to_header(reader, options.header_row)
    except UnicodeDecodeError as err:
        raise _not_text(options.encoding) from err
    columns = _columns(header, lambda i: f"column {i + 1}")
    total = max(0, lines - options.header_row)
    return Table(columns, _csv_rows(reader, columns, options.encoding), total, [text])


def _count_lines(stream: IO[bytes], head: bytes) -> int:
    """Lines in the file, for a progress bar (quoted line breaks make it an overestimate).

    Counting newlines in 1 MiB chunks costs a small fraction of parsing them.
    """
    count, last = head.count(b"\n"), head
    if len(head) == _SNIFF_BYTES:
        while chunk := stream.read(1 << 20):
            count, last = count + chunk.count(b"\n"), chunk
    return count + (bool(last) and not last.endswith(b"\n"))


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample; a comma when it cannot be told (one column)."""
    lines = [line for line in sample.splitlines() if line.strip()][:50]
    if not lines:
        return ","
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=_DELIMITERS).delimiter
    except csv.Error:
        # The Sniffer wants the same count on every line; the header rarely holds a decimal comma.
        counts = {d: lines[0].count(d) for d in _DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _decode_sample(head: bytes, encoding: str) -> str:
    try:
        return head.decode(encoding)
    except UnicodeDecodeError as err:
        if err.start >= len(head) - 4:  # a character cut at the end of the sample
            return head[: err.start].decode(encoding)
        raise _not_text(encoding) from err
    except LookupError as err:
        raise TabularError(f"unknown text encoding {encoding!r}") from err


def _not_text(encoding: str) -> TabularError:
    return TabularError(
        f"the file is not {encoding.removesuffix('-sig').upper()} text: save it as "
        "'CSV UTF-8' or give its encoding (e.g. cp1258)"
    )


def _skip_to_header(reader: Any, header_row: int) -> list[str]:
    header: list[str] | None = None
    for _ in range(header_row):
        header = next(reader, None)
        if header is None:
            raise TabularError(f"the file has no header line (expected on line {header_row})")
    assert header is not None
    return header


def _csv_rows(reader: Any, columns: list[str], encoding: str) -> Iterator[Row]:
    width = len(columns)
    line = reader.line_num
    while True:
        try:
            record = next(reader, None)
        except UnicodeDecodeError as err:
            raise _not_text(encoding) from err
        except csv.Error as err:
            raise TabularError(f"line {reader.line_num}: {err}") from err
        if record is None:
            return
        start, line = line + 1, reader.line_num  # a quoted field may span several lines
        if not any(cell.strip() for cell in record):
            continue
        values: dict[str, Any] = {}
        for i, cell in enumerate(record[:width]):
            if columns[i]:
                stripped = cell.strip()
                values[columns[i]] = stripped or None
        extra = [c for c in record[width:] if c.strip()]
        if extra:
            values[EXTRA] = extra
        yield start, values


# --- XLSX ----------------------------------------------------------------------------------------


def read_xlsx(stream: IO[bytes], options: TableOptions = TableOptions()) -> Table:
    """Rows of one worksheet, read with openpyxl in read-only mode (cached formula values)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise TabularError(f"the file is not an XLSX workbook ({err})") from err
    try:
        sheet = _sheet(book, options.sheet)
        rows = sheet.iter_rows(min_row=options.header_row, values_only=True)
        header = next(rows, None)
        if header is None:
            raise TabularError(f"sheet {sheet.title!r} has no header row {options.header_row}")
        columns = _columns([_header_text(v) for v in header], _column_letter)
        max_row = sheet.max_row
        total = max_row - options.header_row if isinstance(max_row, int) else None
    except BaseException:
        book.close()
        raise
    return Table(columns, _xlsx_rows(rows, columns, options.header_row), total, [book])


def sheet_names(stream: IO[bytes]) -> list[str]:
    from openpyxl import load_workbook

    book = load_workbook(stream, read_only=True)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def _sheet(book: Any, wanted: str | int | None) -> Any:
    names: list[str] = list(book.sheetnames)
    if wanted is None:
        return book.worksheets[0]
    if isinstance(wanted, int):
        if 1 <= wanted <= len(names):
            return book.worksheets[wanted - 1]
    elif wanted in names:
        return book[wanted]
    raise TabularError(f"no sheet {wanted!r} in the workbook (sheets: {', '.join(names)})")


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"column {get_column_letter(index + 1)}"


def _xlsx_rows(
    rows: Iterator[tuple[Any, ...]], columns: list[str], header_row: int
) -> Iterator[Row]:
    width = len(columns)
    for number, cells in enumerate(rows, start=header_row + 1):
        values: dict[str, Any] = {}
        for i, raw in enumerate(cells[:width]):
            cell = (raw.strip() or None) if isinstance(raw, str) else raw
            if cell is not None and columns[i]:  # cells without a header are notes: ignored
                values[columns[i]] = cell
        if values:
            yield number, values


# --- shared --------------------------------------------------------------------------------------


def _columns(header: list[str], name_of_position: Any) -> list[str]:
    """Header cells, stripped; an empty header is "" (its column is ignored); duplicates fail."""
    columns = [cell.strip() for cell in header]
    seen: dict[str, int] = {}
    for i, name in enumerate(columns):
        if not name:
            continue
        if name in seen:
            first, second = name_of_position(seen[name]), name_of_position(i)
            raise TabularError(f"the header names column {name!r} twice ({first} and {second})")
        seen[name] = i
    if not seen:
        raise TabularError("the header row is empty")
    return columns


# --- GeoJSON -------------------------------------------------------------------------------------


def read_geojson(data: bytes) -> list[Feature]:
    """The features of a FeatureCollection (or of a single Feature), in order.

    A GeoJSON document is one JSON value, so it is parsed whole (orjson, fast); files are bounded
    by the upload size. Each feature's geometry is returned as is (``None`` when null) and is
    validated by the caller, who reports the feature's index.
    """
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as err:
        raise TabularError(f"the file is not valid JSON: {err}") from err
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = {"type": "FeatureCollection", "features": [doc]}
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise TabularError("the file is not a GeoJSON FeatureCollection")
    features = doc.get("features")
    if not isinstance(features, list):
        raise TabularError("the FeatureCollection has no 'features' array")
    out: list[Feature] = []
    for index, feature in enumerate(features):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            out.append((index, None, None))
            continue
        props = feature.get("properties")
        props = dict(props) if isinstance(props, dict) else {}
        if "id" in feature and "id" not in props:
            props["id"] = feature["id"]  # the Feature's own id is usable as a column
        geometry = feature.get("geometry")
        out.append((index, props, geometry if isinstance(geometry, dict) else None))
    return out


def geojson_columns(features: list[Feature]) -> list[str]:
    """Every property name that some feature has, in order of first appearance."""
    seen: dict[str, None] = {}
    for _, props, _ in features:
        for name in props or ():
            seen.setdefault(name, None)
    return list(seen)

"""Cell values → typed values: numbers (with the Vietnamese decimal comma), booleans, dates,
date-times and geometries. Each converter raises ``ValueProblem`` with a reason a person can act on.

Shared by the file import and the indicators upload; nothing here knows about entities.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from cityioc.core.clock import iso_ms, to_ms
from cityioc.core.errors import BadRequestData
from cityioc.core.geo import validate_geometry

ValueType = Literal["auto", "number", "integer", "text", "bool", "date", "datetime", "json"]
VALUE_TYPES: tuple[ValueType, ...] = (
    "auto",
    "number",
    "integer",
    "text",
    "bool",
    "date",
    "datetime",
    "json",
)

_TRUE = frozenset({"true", "yes", "y", "1", "x", "có", "co", "đúng", "dung"})
_FALSE = frozenset({"false", "no", "n", "0", "không", "khong", "sai"})
_SPACES = re.compile(r"[\s\u00a0\u202f']")  # thousands may be grouped by (narrow) spaces
# With the decimal point: 1234.5, 1,234.5, -0.5, 1e-3. With the decimal comma: 1234,5, 1.234,5.
_NUMBER = {
    ".": re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?([eE][+-]?\d+)?"),
    ",": re.compile(r"[+-]?(\d{1,3}(\.\d{3})+|\d+)?(,\d+)?([eE][+-]?\d+)?"),
}
_PLAIN_NUMBER = re.compile(r"[+-]?(0|[1-9]\d*)([.,]\d+)?")
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")
# Vietnamese offices write day/month/year; ISO 8601 is always accepted first.
_DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
_DATETIME_FORMATS = (
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
)


class ValueProblem(ValueError):
    """A cell whose value cannot be read as asked; the message is the reason."""


@dataclass(frozen=True, slots=True)
class ValueOptions:
    decimal: Literal[".", ","] = "."
    timezone: tzinfo = UTC  # for date-times written without a zone
    date_format: str | None = None  # a strptime format tried before the defaults


def zone(text: str) -> tzinfo:
    """``UTC``, ``+07:00`` or an IANA name such as ``Asia/Ho_Chi_Minh``."""
    if text.upper() in ("UTC", "Z"):
        return UTC
    match = _OFFSET.fullmatch(text)
    if match:
        sign = 1 if match.group(1) == "+" else -1
        return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown time zone {text!r}: use UTC, +07:00 or an IANA name") from err


def convert(value: Any, kind: ValueType, options: ValueOptions) -> Any:
    """``value`` (a non-empty cell) as ``kind``, in the form NGSI-LD stores it."""
    if kind == "auto":
        return auto(value, options)
    if kind == "number":
        return number(value, options.decimal)
    if kind == "integer":
        found = number(value, options.decimal)
        if isinstance(found, float) and not found.is_integer():
            raise ValueProblem(f"{_show(value)} is not a whole number")
        return int(found)
    if kind == "text":
        return text(value)
    if kind == "bool":
        return boolean(value)
    if kind == "date":
        return day(value, options).isoformat()
    if kind == "datetime":
        return iso_ms(instant_ms(value, options))
    return json_value(value)


def auto(value: Any, options: ValueOptions) -> Any:
    """Spreadsheet and JSON types as they are; CSV text that is plainly a number becomes one.

    "Plainly": no leading zero (codes such as 007 stay text) and no thousands separators.
    """
    if isinstance(value, datetime):
        return iso_ms(to_ms(_aware(value, options.timezone)))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, str) and _PLAIN_NUMBER.fullmatch(value):
        try:
            return number(value, options.decimal)
        except ValueProblem:
            return value  # "1,5" where the decimal is a point: text, not a guess
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)  # a spreadsheet's 12.0 is the 12 the person typed
    return value


def number(value: Any, decimal: Literal[".", ","] = ".") -> int | float:
    if isinstance(value, bool):
        raise ValueProblem(f"{_show(value)} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueProblem(f"{_show(value)} is not a finite number")
        return value
    if not isinstance(value, str):
        raise ValueProblem(f"{_show(value)} is not a number")
    compact = _SPACES.sub("", value)
    if not compact or not any(c.isdigit() for c in compact):
        raise ValueProblem(f"{_show(value)} is not a number")
    if not _NUMBER[decimal].fullmatch(compact):
        hint = ""
        if decimal == "." and re.fullmatch(r"[+-]?\d+,\d+", compact):
            hint = " (a decimal comma? set decimal: ',')"
        elif decimal == "," and re.fullmatch(r"[+-]?\d+\.\d+", compact):
            hint = " (the decimal is set to a comma, and a point only groups thousands)"
        raise ValueProblem(f"{_show(value)} is not a number{hint}")
    thousands = "," if decimal == "." else "."
    plain = compact.replace(thousands, "").replace(",", ".")
    if re.fullmatch(r"[+-]?\d+", plain):
        return int(plain)
    return float(plain)


def text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return str(value)
    return orjson.dumps(value).decode()


def boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    raise ValueProblem(f"{_show(value)} is not a yes/no value (true/false, có/không, 1/0)")


def day(value: Any, options: ValueOptions) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise ValueProblem(f"{_show(value)} is not a date")
    formats = ((options.date_format,) if options.date_format else ()) + _DATE_FORMATS
    try:
        return date.fromisoformat(value)
    except ValueError:
        pass
    for fmt in formats:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueProblem(f"{_show(value)} is not a date (YYYY-MM-DD or DD/MM/YYYY)")


def instant_ms(value: Any, options: ValueOptions) -> int:
    """A date-time as epoch milliseconds; one written without a zone is in ``options.timezone``."""
    if isinstance(value, datetime):
        return to_ms(_aware(value, options.timezone))
    if isinstance(value, date):
        return to_ms(_aware(datetime.combine(value, time()), options.timezone))
    if not isinstance(value, str):
        raise ValueProblem(f"{_show(value)} is not a date-time")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = _strptime(value, options.date_format)
    return to_ms(_aware(parsed, options.timezone))


def _strptime(value: str, date_format: str | None) -> datetime:
    formats = ((date_format,) if date_format else ()) + _DATETIME_FORMATS + _DATE_FORMATS
    for fmt in formats:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise ValueProblem(
        f"{_show(value)} is not a date-time (ISO 8601 such as 2026-11-25T10:00:00+07:00, "
        "or DD/MM/YYYY HH:MM)"
    )


def _aware(value: datetime, zone: tzinfo) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def json_value(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError as err:
            raise ValueProblem(f"{_show(value)} is not JSON") from err
    return value


# --- geometry ------------------------------------------------------------------------------------


def point(lon: Any, lat: Any, decimal: Literal[".", ","] = ".") -> dict[str, Any]:
    x, y = float(number(lon, decimal)), float(number(lat, decimal))
    if not -180 <= x <= 180:
        raise ValueProblem(f"longitude {_show(lon)} is outside -180…180")
    if not -90 <= y <= 90:
        raise ValueProblem(f"latitude {_show(lat)} is outside -90…90")
    return {"type": "Point", "coordinates": [x, y]}


def geometry_from_wkt(value: Any) -> dict[str, Any]:
    import shapely
    from shapely.errors import ShapelyError

    if not isinstance(value, str):
        raise ValueProblem(f"{_show(value)} is not WKT text")
    try:
        shape = shapely.from_wkt(value)
    except (ShapelyError, ValueError) as err:
        raise ValueProblem(f"{_show(value)} is not valid WKT") from err
    return geometry(shapely.geometry.mapping(shape))


def geometry(value: Any) -> dict[str, Any]:
    """A GeoJSON geometry (an object or its JSON text), validated: bad coordinates fail here."""
    if isinstance(value, str):
        value = json_value(value)
    try:
        valid: dict[str, Any] = _plain(validate_geometry(_plain(value), name="geometry"))
    except BadRequestData as err:
        raise ValueProblem(err.detail) from err
    return valid


def _plain(value: Any) -> Any:
    """Tuples (shapely's mapping) as lists, as JSON has them."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _show(value: Any) -> str:
    shown = repr(value) if isinstance(value, str) else str(value)
    return shown if len(shown) <= 60 else shown[:57] + "…"

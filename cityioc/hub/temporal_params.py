"""Parsing the NGSI-LD temporal query parameters: timerel/timeAt/endTimeAt, lastN, aggrMethods,
aggrPeriodDuration. Every error is a ``BadRequestData`` whose detail names the parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

import isodate

from cityioc.core.errors import BadRequestData

__all__ = [
    "AGGREGATION_METHODS",
    "TIME_PROPERTIES",
    "Duration",
    "TimeRange",
    "parse_aggr_methods",
    "parse_datetime_ms",
    "parse_duration_ms",
    "parse_last_n",
    "parse_timerel",
]

AGGREGATION_METHODS: Final = (
    "totalCount",
    "distinctCount",
    "sum",
    "avg",
    "min",
    "max",
    "stddev",
    "sumsq",
)
TIME_PROPERTIES: Final = ("observedAt", "createdAt", "modifiedAt", "deletedAt")
TIMERELS: Final = ("before", "after", "between")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# P[n]Y[n]M[n]DT[n]H[n]M[n]S or P[n]W, at least one part; isodate alone also takes P0001-02-03.
_DURATION_FORM = re.compile(
    r"P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
    r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?"
)
_MS = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class Duration:
    """An aggrPeriodDuration: whole calendar ``months`` (a year is 12) plus fixed ``ms``.

    Months move bucket boundaries by calendar months in UTC; ``ms`` is exact milliseconds (days
    and weeks are fixed: UTC has no daylight saving).
    """

    months: int = 0
    ms: int = 0

    @property
    def is_zero(self) -> bool:
        """PT0S: the whole queried range is one period."""
        return self.months == 0 and self.ms == 0

    @property
    def fixed_ms(self) -> int | None:
        """The length in ms when it has no calendar part, else None."""
        return self.ms if self.months == 0 else None


@dataclass(frozen=True, slots=True)
class TimeRange:
    """The half-open range ``start_ms <= t < end_ms`` a temporal query selects; None is open."""

    start_ms: int | None = None
    end_ms: int | None = None
    timeproperty: str = "observedAt"

    def contains(self, t: int) -> bool:
        return (self.start_ms is None or t >= self.start_ms) and (
            self.end_ms is None or t < self.end_ms
        )


def parse_duration_ms(text: str, param: str = "aggrPeriodDuration") -> Duration:
    """Parse an ISO 8601 duration: ``PT15M``, ``P1D``, ``P1W``, ``P1M``, ``P1Y``, ``P1DT12H``..."""
    if not isinstance(text, str) or not _DURATION_FORM.fullmatch(text):
        raise BadRequestData(f"{param} must be an ISO 8601 duration such as PT1H, got {text!r}")
    try:
        parsed = isodate.parse_duration(text, as_timedelta_if_possible=False)
    except (isodate.ISO8601Error, ValueError, TypeError) as exc:
        raise BadRequestData(f"{param} is not an ISO 8601 duration: {text!r}") from exc
    if isinstance(parsed, isodate.Duration):
        years, months, delta = Decimal(parsed.years), Decimal(parsed.months), parsed.tdelta
    else:
        years, months, delta = Decimal(0), Decimal(0), parsed
    total_months = years * 12 + months
    if total_months != int(total_months):
        raise BadRequestData(f"{param} cannot have fractional years or months: {text!r}")
    ms = delta // _MS
    if total_months < 0 or ms < 0 or delta != ms * _MS:
        raise BadRequestData(f"{param} must be positive with at most millisecond precision")
    return Duration(months=int(total_months), ms=ms)


def parse_aggr_methods(text: str, param: str = "aggrMethods") -> tuple[str, ...]:
    """A comma list of aggregation methods, in the order given, without repeats."""
    names = [part.strip() for part in (text or "").split(",")]
    if not any(names):
        raise BadRequestData(f"{param} needs at least one of {', '.join(AGGREGATION_METHODS)}")
    unknown = [n for n in names if n not in AGGREGATION_METHODS]
    if unknown:
        raise BadRequestData(
            f"{param}: unknown method {unknown[0]!r}; use {', '.join(AGGREGATION_METHODS)}"
        )
    return tuple(dict.fromkeys(names))


def parse_datetime_ms(text: str, param: str) -> int:
    """An ISO 8601 date-time as epoch ms (floor); no zone means UTC, as NGSI-LD brokers do."""
    try:
        when = datetime.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise BadRequestData(f"{param} is not an ISO 8601 date-time: {text!r}") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    # Integer arithmetic: float timestamps can land one millisecond short.
    return (when - _EPOCH) // _MS


def parse_timerel(
    timerel: str | None,
    time_at: str | None,
    end_time_at: str | None = None,
    timeproperty: str | None = None,
) -> TimeRange:
    """The range selected by ``timerel``: before ``t < timeAt``, after ``t >= timeAt``, between
    ``timeAt <= t < endTimeAt``. Without timerel the range is unbounded.
    """
    prop = timeproperty or "observedAt"
    if prop not in TIME_PROPERTIES:
        raise BadRequestData(f"timeproperty must be one of {', '.join(TIME_PROPERTIES)}")
    if timerel is None or timerel == "":
        if time_at or end_time_at:
            raise BadRequestData("timerel is required when timeAt or endTimeAt is given")
        return TimeRange(None, None, prop)
    if timerel not in TIMERELS:
        raise BadRequestData(f"timerel must be one of {', '.join(TIMERELS)}, got {timerel!r}")
    if not time_at:
        raise BadRequestData(f"timeAt is required with timerel={timerel}")
    at = parse_datetime_ms(time_at, "timeAt")
    if timerel == "before":
        return TimeRange(None, at, prop)
    if timerel == "after":
        return TimeRange(at, None, prop)
    if not end_time_at:
        raise BadRequestData("endTimeAt is required with timerel=between")
    end = parse_datetime_ms(end_time_at, "endTimeAt")
    if end < at:
        raise BadRequestData("endTimeAt must not be before timeAt")
    return TimeRange(at, end, prop)


def parse_last_n(text: str | None, param: str = "lastN") -> int | None:
    """lastN: a positive integer, or None when absent."""
    if text is None or text == "":
        return None
    try:
        n = int(text)
    except ValueError as exc:
        raise BadRequestData(f"{param} must be a positive integer, got {text!r}") from exc
    if n < 1:
        raise BadRequestData(f"{param} must be a positive integer, got {text!r}")
    return n

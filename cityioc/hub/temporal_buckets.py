"""Aggregation periods: where each ``aggrPeriodDuration`` bucket starts and ends.

Periods start at ``timeAt`` when the query gives one, otherwise at the first instance in range
(a series starting at 12:03 aggregated by PT1H gives 12:03-13:03, 13:03-14:03 ...), not at clock
hours. Buckets are half-open ``[start, end)``; the last one is cut at the end of the queried range,
so a bucket never claims time the query excluded.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final, overload

import numpy as np
import numpy.typing as npt

from cityioc.core.errors import TooManyResults
from cityioc.hub.temporal_params import Duration, TimeRange

__all__ = [
    "MAX_BUCKETS",
    "BucketList",
    "Buckets",
    "add_months",
    "aggregation_range",
    "bucket_arrays",
    "bucket_starts",
    "iso_ms_list",
]

MAX_BUCKETS: Final = 100_000  # a year of PT5M; past this a request is a mistake or an attack

Int64Array = npt.NDArray[np.int64]


class BucketList(Sequence[tuple[int, int]]):
    """``(start, end)`` periods as a sequence of tuples, kept as two int64 arrays for numpy."""

    __slots__ = ("ends", "starts")

    def __init__(self, starts: npt.NDArray[Any], ends: npt.NDArray[Any]) -> None:
        self.starts: Int64Array = np.asarray(starts, dtype=np.int64)
        self.ends: Int64Array = np.asarray(ends, dtype=np.int64)
        if self.starts.shape != self.ends.shape or self.starts.ndim != 1:
            raise ValueError("starts and ends must be flat arrays of one length")
        if len(self.starts) and not (
            (self.ends > self.starts).all() and (self.starts[1:] >= self.ends[:-1]).all()
        ):
            raise ValueError("buckets must be ascending, non-empty and must not overlap")

    def __len__(self) -> int:
        return len(self.starts)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self.starts.tolist(), self.ends.tolist(), strict=True)

    @overload
    def __getitem__(self, i: int) -> tuple[int, int]: ...
    @overload
    def __getitem__(self, i: slice) -> BucketList: ...
    def __getitem__(self, i: int | slice) -> tuple[int, int] | BucketList:
        if isinstance(i, slice):
            return BucketList(self.starts[i], self.ends[i])
        return int(self.starts[i]), int(self.ends[i])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, BucketList):
            return bool(
                np.array_equal(self.starts, other.starts) and np.array_equal(self.ends, other.ends)
            )
        if isinstance(other, Sequence):
            return list(self) == [tuple(x) for x in other]
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"BucketList({list(self)!r})"


Buckets = Sequence[tuple[int, int]] | npt.NDArray[np.int64]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def bucket_starts(
    start_ms: int, end_ms: int, period: Duration, max_buckets: int = MAX_BUCKETS
) -> BucketList:
    """The ``(start, end)`` periods covering ``[start_ms, end_ms)``, first starting at start_ms.

    ``PT0S`` is the whole range as one bucket. Raises TooManyResults past ``max_buckets``.
    """
    if end_ms <= start_ms:
        return BucketList(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    if period.is_zero:
        return BucketList(np.array([start_ms]), np.array([end_ms]))
    fixed = period.fixed_ms
    if fixed is not None:
        count = -(-(end_ms - start_ms) // fixed)
        _check_count(count, max_buckets)
        starts = start_ms + np.arange(count, dtype=np.int64) * fixed
        ends = starts + fixed
        ends[-1] = min(int(ends[-1]), end_ms)
        return BucketList(starts, ends)
    return _calendar_buckets(start_ms, end_ms, period, max_buckets)


def _calendar_buckets(start_ms: int, end_ms: int, period: Duration, max_buckets: int) -> BucketList:
    # Each boundary is computed from the origin, not from the previous boundary, so that Jan 31
    # + P1M steps Feb 28, Mar 31, Apr 30 ... instead of drifting to the 28th.
    origin = _EPOCH + start_ms * _MS
    bounds = [start_ms]
    while bounds[-1] < end_ms:
        _check_count(len(bounds), max_buckets)
        i = len(bounds)
        bounds.append((add_months(origin, i * period.months) - _EPOCH) // _MS + i * period.ms)
    edges = np.array(bounds, dtype=np.int64)
    ends = edges[1:].copy()
    ends[-1] = end_ms
    return BucketList(edges[:-1], ends)


def _check_count(count: int, max_buckets: int) -> None:
    if count > max_buckets:
        raise TooManyResults(
            f"aggrPeriodDuration gives {count} periods in this range; at most {max_buckets}:"
            " use a longer period or a shorter range"
        )


def add_months(when: datetime, months: int) -> datetime:
    """``when`` moved by calendar months, the day clamped to the month's length."""
    years, month0 = divmod(when.month - 1 + months, 12)
    year = when.year + years
    day = min(when.day, calendar.monthrange(year, month0 + 1)[1])
    return when.replace(year=year, month=month0 + 1, day=day)


def aggregation_range(time_range: TimeRange, times: npt.NDArray[Any]) -> tuple[int, int] | None:
    """The ``[start, end)`` to cut into periods: the query's bounds where it has them, else the
    first instance and just past the last one in range. None when an open range has no data.
    """
    t = np.asarray(times, dtype=np.int64)
    start, end = time_range.start_ms, time_range.end_ms
    if start is not None and end is not None:
        return start, end
    lo = 0 if start is None else int(np.searchsorted(t, start))
    hi = len(t) if end is None else int(np.searchsorted(t, end))
    if lo >= hi:
        return None
    return (int(t[lo]) if start is None else start), (int(t[hi - 1]) + 1 if end is None else end)


def bucket_arrays(buckets: Buckets) -> tuple[Int64Array, Int64Array]:
    """Starts and ends as int64 arrays, checked to be ascending, non-empty and non-overlapping."""
    if not isinstance(buckets, BucketList):
        arr = np.asarray(buckets, dtype=np.int64).reshape(-1, 2)
        buckets = BucketList(arr[:, 0], arr[:, 1])
    return buckets.starts, buckets.ends


def iso_ms_list(ms: npt.NDArray[np.int64]) -> list[str]:
    """Epoch ms as NGSI-LD UTC text with milliseconds: ``2026-11-25T10:00:00.000Z``."""
    text: list[str] = np.datetime_as_string(
        ms.astype("datetime64[ms]"), unit="ms", timezone="UTC"
    ).tolist()
    return text

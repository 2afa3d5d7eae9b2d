"""Parsing of the temporal query parameters and the aggregation periods they describe."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cityioc.core.clock import iso_ms
from cityioc.core.errors import BadRequestData, TooManyResults
from cityioc.hub.temporal import (
    BucketList,
    Duration,
    TimeRange,
    aggregation_range,
    bucket_starts,
    parse_aggr_methods,
    parse_datetime_ms,
    parse_duration_ms,
    parse_last_n,
    parse_timerel,
)

H = 3_600_000
D = 24 * H


def ms(text: str) -> int:
    return parse_datetime_ms(text, "timeAt")


# -- aggrPeriodDuration --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT0S", Duration(0, 0)),
        ("P0D", Duration(0, 0)),
        ("PT1M", Duration(0, 60_000)),
        ("PT15M", Duration(0, 900_000)),
        ("PT1H", Duration(0, H)),
        ("P1D", Duration(0, D)),
        ("P1W", Duration(0, 7 * D)),
        ("P1M", Duration(1, 0)),
        ("P1Y", Duration(12, 0)),
        ("P1Y6M", Duration(18, 0)),
        ("P1DT12H", Duration(0, 36 * H)),
        ("PT0.5S", Duration(0, 500)),
        ("P3Y6M4DT12H30M5S", Duration(42, 4 * D + 12 * H + 30 * 60_000 + 5000)),
    ],
)
def test_durations(text: str, expected: Duration) -> None:
    assert parse_duration_ms(text) == expected


@pytest.mark.parametrize(
    "text", ["", "P", "PT", "1H", "P1H", "PT-1H", "-P1D", "P0001-02-03", "P1.5M", "PT0.0001S", "x"]
)
def test_bad_durations_name_the_parameter(text: str) -> None:
    with pytest.raises(BadRequestData, match="aggrPeriodDuration"):
        parse_duration_ms(text)


def test_duration_properties() -> None:
    assert parse_duration_ms("PT0S").is_zero
    assert parse_duration_ms("PT1H").fixed_ms == H
    assert parse_duration_ms("P1M").fixed_ms is None


# -- aggrMethods ---------------------------------------------------------------------------------


def test_aggr_methods() -> None:
    assert parse_aggr_methods("max,avg") == ("max", "avg")
    assert parse_aggr_methods(" totalCount , sum,sum ") == ("totalCount", "sum")
    for bad in ("", " , ", "mean", "avg,median"):
        with pytest.raises(BadRequestData, match="aggrMethods"):
            parse_aggr_methods(bad)


# -- timerel -------------------------------------------------------------------------------------


def test_timerel_ranges() -> None:
    at, end = "2026-11-25T10:00:00Z", "2026-11-25T12:00:00.500Z"
    assert parse_timerel(None, None) == TimeRange(None, None, "observedAt")
    assert parse_timerel("before", at) == TimeRange(None, ms(at))
    assert parse_timerel("after", at) == TimeRange(ms(at), None)
    assert parse_timerel("between", at, end, "modifiedAt") == TimeRange(
        ms(at), ms(end), "modifiedAt"
    )
    between = parse_timerel("between", at, end)
    assert between.contains(ms(at)) and not between.contains(ms(end))
    assert parse_timerel("before", at).contains(ms(at) - 1)
    assert not parse_timerel("before", at).contains(ms(at))
    assert parse_timerel("after", at).contains(ms(at))  # after includes timeAt


@pytest.mark.parametrize(
    ("args", "param"),
    [
        (("before", None), "timeAt"),
        (("between", "2026-01-01T00:00:00Z", None), "endTimeAt"),
        (("between", "2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"), "endTimeAt"),
        (("during", "2026-01-01T00:00:00Z"), "timerel"),
        (("after", "yesterday"), "timeAt"),
        (("between", "2026-01-01T00:00:00Z", "2026-13-01T00:00:00Z"), "endTimeAt"),
        ((None, "2026-01-01T00:00:00Z"), "timerel"),
        (("after", "2026-01-01T00:00:00Z", None, "seenAt"), "timeproperty"),
    ],
)
def test_timerel_errors_name_the_parameter(args: tuple[str | None, ...], param: str) -> None:
    with pytest.raises(BadRequestData, match=param):
        parse_timerel(*args)


@settings(deadline=None)
@given(st.integers(-(2**41), 2**42))
def test_datetimes_parse_to_the_exact_millisecond(when: int) -> None:
    assert parse_datetime_ms(iso_ms(when), "timeAt") == when


def test_datetime_forms() -> None:
    assert ms("2026-11-25T10:00:00+01:00") == ms("2026-11-25T09:00:00Z")
    assert ms("2026-11-25T10:00:00") == ms("2026-11-25T10:00:00Z")  # no zone: UTC
    assert ms("2026-11-25T10:00Z") == int(datetime(2026, 11, 25, 10, tzinfo=UTC).timestamp()) * 1000


def test_last_n() -> None:
    assert parse_last_n(None) is None
    assert parse_last_n("3") == 3
    for bad in ("0", "-1", "x", "1.5"):
        with pytest.raises(BadRequestData, match="lastN"):
            parse_last_n(bad)


# -- periods -------------------------------------------------------------------------------------


def test_periods_start_at_the_first_instance_not_the_clock() -> None:
    start = ms("2026-11-25T12:03:00Z")
    got = bucket_starts(start, start + 2 * H + 1, parse_duration_ms("PT1H"))
    assert list(got) == [
        (start, start + H),
        (start + H, start + 2 * H),
        (start + 2 * H, start + 2 * H + 1),
    ]
    assert got == [
        (start, start + H),
        (start + H, start + 2 * H),
        (start + 2 * H, start + 2 * H + 1),
    ]
    assert got[1] == (start + H, start + 2 * H)
    assert len(got) == 3


def test_zero_period_is_the_whole_range_and_empty_range_has_none() -> None:
    assert list(bucket_starts(5, 99, Duration())) == [(5, 99)]
    assert list(bucket_starts(5, 5, parse_duration_ms("PT1H"))) == []
    assert not bucket_starts(9, 5, Duration())


def test_calendar_months_keep_the_day_of_the_origin() -> None:
    start = ms("2026-01-31T10:00:00Z")
    got = bucket_starts(start, ms("2026-06-01T00:00:00Z"), parse_duration_ms("P1M"))
    assert [iso_ms(s) for s, _ in got] == [
        "2026-01-31T10:00:00.000Z",
        "2026-02-28T10:00:00.000Z",
        "2026-03-31T10:00:00.000Z",
        "2026-04-30T10:00:00.000Z",
        "2026-05-31T10:00:00.000Z",
    ]
    assert got[-1][1] == ms("2026-06-01T00:00:00Z")  # cut at the end of the range
    assert all(e == s2 for (_, e), (s2, _) in itertools.pairwise(got))


def test_calendar_years_and_mixed_periods() -> None:
    start = ms("2028-02-29T00:00:00Z")  # a leap day
    years = bucket_starts(start, ms("2031-01-01T00:00:00Z"), parse_duration_ms("P1Y"))
    assert [iso_ms(s)[:10] for s, _ in years] == ["2028-02-29", "2029-02-28", "2030-02-28"]
    mixed = bucket_starts(
        ms("2026-01-01T00:00:00Z"), ms("2026-04-01T00:00:00Z"), parse_duration_ms("P1M1D")
    )
    assert [iso_ms(s)[:10] for s, _ in mixed] == ["2026-01-01", "2026-02-02", "2026-03-03"]


def test_too_many_periods() -> None:
    with pytest.raises(TooManyResults, match="aggrPeriodDuration"):
        bucket_starts(0, 365 * D, parse_duration_ms("PT1S"))
    with pytest.raises(TooManyResults):
        bucket_starts(0, 10 * 365 * D, parse_duration_ms("P1M"), max_buckets=12)


def test_bucket_list_checks_its_shape() -> None:
    with pytest.raises(ValueError):
        BucketList(np.array([0, 10]), np.array([20, 30]))  # overlap
    with pytest.raises(ValueError):
        BucketList(np.array([5]), np.array([5]))  # empty period


def test_aggregation_range() -> None:
    times = np.array([100, 200, 300], dtype=np.int64)
    assert aggregation_range(TimeRange(None, None), times) == (100, 301)
    assert aggregation_range(TimeRange(150, None), times) == (150, 301)
    assert aggregation_range(TimeRange(None, 250), times) == (100, 250)
    assert aggregation_range(TimeRange(0, 50), times) == (0, 50)  # between: the query's bounds
    assert aggregation_range(TimeRange(400, None), times) is None
    assert aggregation_range(TimeRange(None, None), times[:0]) is None

"""Rollups answer aligned requests exactly as the raw samples would."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cityioc.hub.temporal import (
    Partial,
    Partials,
    aggregate_from_rollups,
    aggregate_samples,
    bucket_of,
    bucket_starts,
    combine,
    merge_partials,
    parse_datetime_ms,
    parse_duration_ms,
    partials_from_samples,
    rollups_can_answer,
)

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000
NUMERIC = ["totalCount", "sum", "avg", "min", "max", "stddev", "sumsq"]


def ms(text: str) -> int:
    return parse_datetime_ms(text, "timeAt")


@st.composite
def numeric_series(draw: st.DrawFn) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    gaps = draw(st.lists(st.integers(1, 3 * HOUR), max_size=150))
    times = T0 + np.cumsum(np.array([0, *gaps], dtype=np.int64))
    values = draw(
        st.lists(
            st.one_of(
                st.floats(-1e4, 1e4, allow_nan=False),
                st.integers(0, 500).map(lambda i: i / 10),
                st.sampled_from([math.nan, math.inf]),  # not numbers to rollups either
            ),
            min_size=len(times),
            max_size=len(times),
        )
    )
    return times, np.array(values, dtype=np.float64)


@st.composite
def aligned_request(draw: st.DrawFn, width: int) -> list[tuple[int, int]]:
    start = T0 + draw(st.integers(-24, 24 * 10)) * HOUR // width * width
    span = draw(st.integers(1, 24 * 40)) * HOUR // width * width or width
    if width == DAY and draw(st.booleans()):
        return list(bucket_starts(start, start + span, parse_duration_ms("P1M")))
    period = draw(st.sampled_from([1, 2, 3, 24])) * max(width, HOUR)
    return list(bucket_starts(start, start + span, parse_duration_ms(f"PT{period // 1000}S")))


def assert_close(a: dict[str, list[list[Any]]], b: dict[str, list[list[Any]]]) -> None:
    assert a.keys() == b.keys()
    for method, rows in a.items():
        assert [r[1:] for r in rows] == [r[1:] for r in b[method]], method
        for x, y in zip(rows, b[method], strict=True):
            if method in ("totalCount", "min", "max") or y[0] is None:
                assert x[0] == y[0], (method, x, y)  # exact
            elif method == "stddev":  # from sumsq - sum**2/n: ~2e-8 of the values' magnitude
                size = max(abs(v[0]) for v in (*b.get("min", []), *b.get("max", [])))
                assert math.isclose(x[0], y[0], rel_tol=1e-9, abs_tol=1e-7 * size), (x, y)
            else:
                assert math.isclose(x[0], y[0], rel_tol=1e-9, abs_tol=1e-6), (method, x, y)


@settings(deadline=None)
@given(st.data(), numeric_series(), st.sampled_from([MIN, HOUR, DAY]))
def test_rollups_equal_raw_on_aligned_periods(
    data: st.DataObject, series: tuple[Any, Any], width: int
) -> None:
    times, values = series
    buckets = data.draw(aligned_request(width))
    assert rollups_can_answer(buckets, NUMERIC, width)
    starts, partials = partials_from_samples(times, values, width)
    from_rollups = aggregate_from_rollups(starts, partials, width, buckets, NUMERIC)
    numbers = np.isfinite(values)  # rollups count numbers only: compare with the numbers
    from_raw = aggregate_samples(times[numbers], values[numbers], buckets, NUMERIC)
    assert_close(from_rollups, from_raw)
    everything = aggregate_samples(times, values, buckets, NUMERIC[1:])
    assert_close({m: from_rollups[m] for m in NUMERIC[1:]}, everything)


@settings(deadline=None)
@given(numeric_series(), st.integers(0, 150), st.sampled_from([MIN, HOUR]))
def test_merging_partials_of_two_batches_equals_partials_of_all(
    series: tuple[Any, Any], cut: int, width: int
) -> None:
    times, values = series
    sa, pa = partials_from_samples(times[:cut], values[:cut], width)
    sb, pb = partials_from_samples(times[cut:], values[cut:], width)
    merged_starts, merged = merge_partials(sa, pa, sb, pb)
    all_starts, whole = partials_from_samples(times, values, width)
    assert merged_starts.tolist() == all_starts.tolist()
    assert merged.count.tolist() == whole.count.tolist()
    assert merged.min.tolist() == whole.min.tolist() and merged.max.tolist() == whole.max.tolist()
    assert np.allclose(merged.sum, whole.sum, rtol=1e-12, atol=1e-6)
    for i, start in enumerate(merged_starts.tolist()):
        rows = [pa[j] for j in np.flatnonzero(sa == start).tolist()]
        rows += [pb[j] for j in np.flatnonzero(sb == start).tolist()]
        one = combine(*rows)
        assert (one.count, one.min, one.max) == (merged[i].count, merged[i].min, merged[i].max)
        assert math.isclose(one.sum, merged[i].sum, rel_tol=1e-12, abs_tol=1e-6)


def test_combine() -> None:
    a, b = Partial(2, 3.0, 5.0, 1.0, 2.0), Partial(1, -1.0, 1.0, -1.0, -1.0)
    assert combine(a, b) == Partial(3, 2.0, 6.0, -1.0, 2.0)
    assert combine() == Partial()
    assert combine(a, Partial()) == a


def test_partials_skip_what_is_not_a_number() -> None:
    times = [T0, T0 + 1, T0 + 2, T0 + 3, T0 + MIN]
    values: list[Any] = [1.5, True, "x", math.nan, 2]
    starts, parts = partials_from_samples(times, values, MIN)
    assert starts.tolist() == [T0, T0 + MIN]
    assert parts[0] == Partial(1, 1.5, 2.25, 1.5, 1.5)
    assert parts[1] == Partial(1, 2.0, 4.0, 2.0, 2.0)


def test_clock_and_calendar_buckets() -> None:
    t = np.array([ms("2026-01-31T23:59:59.999Z"), ms("2026-02-01T00:00:00Z")])
    assert bucket_of(t, HOUR).tolist() == [ms("2026-01-31T23:00:00Z"), ms("2026-02-01T00:00:00Z")]
    assert bucket_of(t, parse_duration_ms("P1M")).tolist() == [
        ms("2026-01-01T00:00:00Z"),
        ms("2026-02-01T00:00:00Z"),
    ]
    assert bucket_of(t, parse_duration_ms("P1Y")).tolist() == [ms("2026-01-01T00:00:00Z")] * 2
    assert bucket_of(t, parse_duration_ms("P1D")).tolist() == bucket_of(t, DAY).tolist()
    with pytest.raises(ValueError):
        bucket_of(t, parse_duration_ms("P1M1D"))
    with pytest.raises(ValueError):
        bucket_of(t, 0)


def test_what_rollups_cannot_answer() -> None:
    aligned = [(T0, T0 + HOUR)]
    assert rollups_can_answer(aligned, ["avg", "totalCount"], HOUR)
    assert not rollups_can_answer(aligned, ["distinctCount"], MIN)
    assert not rollups_can_answer([(T0 + 3 * MIN, T0 + HOUR)], ["avg"], HOUR)  # starts at 00:03
    assert not rollups_can_answer([(T0, T0 + HOUR + 1)], ["avg"], HOUR)  # ends off the clock
    assert rollups_can_answer([(T0 + 3 * MIN, T0 + HOUR)], ["avg"], MIN)
    with pytest.raises(ValueError):
        aggregate_from_rollups(
            [T0], Partials.of([Partial(1, 1, 1, 1, 1)]), HOUR, [(T0, T0 + 1)], ["avg"]
        )


def test_total_count_from_rollups_counts_numbers_only() -> None:
    times, values = [T0, T0 + 1, T0 + 2], [1.0, "open", math.nan]
    starts, parts = partials_from_samples(times, values, HOUR)
    bucket = [(T0, T0 + HOUR)]
    assert (
        aggregate_from_rollups(starts, parts, HOUR, bucket, ["totalCount"])["totalCount"][0][0] == 1
    )
    assert aggregate_samples(times, values, bucket, ["totalCount"])["totalCount"][0][0] == 3


def test_constant_values_have_zero_stddev_from_rollups() -> None:
    times = [T0, T0 + MIN, T0 + 2 * MIN]
    starts, parts = partials_from_samples(times, [96.37680231832474] * 3, MIN)
    got = aggregate_from_rollups(starts, parts, MIN, [(T0, T0 + HOUR)], ["stddev"])
    assert got["stddev"][0][0] == 0.0


def test_single_reading_stddev_is_null_from_rollups_too() -> None:
    starts, parts = partials_from_samples([T0], [5.0], HOUR)
    got = aggregate_from_rollups(starts, parts, HOUR, [(T0, T0 + DAY)], ["stddev", "avg"])
    assert got["stddev"][0][0] is None and got["avg"][0][0] == 5.0

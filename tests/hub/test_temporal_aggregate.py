"""Aggregation of raw samples, checked against a plain-Python reference built on ``statistics``."""

from __future__ import annotations

import itertools
import math
import statistics
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cityioc.core.clock import iso_ms
from cityioc.hub.temporal import (
    AGGREGATION_METHODS,
    Aggregated,
    TimeRange,
    aggregate_samples,
    bucket_starts,
    last_n,
    parse_duration_ms,
    select_range,
)
from cityioc.store.codec import is_number

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
MIN = 60_000


# -- the reference -------------------------------------------------------------------------------


def distinct_key(v: Any) -> Any:
    if isinstance(v, bool):
        return ("bool", v)
    if is_number(v):
        return ("num", "nan") if isinstance(v, float) and math.isnan(v) else ("num", v)
    return ("json", orjson.dumps(v, option=orjson.OPT_SORT_KEYS))


def reference(
    times: Sequence[int],
    values: Sequence[Any],
    buckets: Sequence[tuple[int, int]],
    methods: Sequence[str],
    ddof: int = 1,
) -> Aggregated:
    out: Aggregated = {m: [] for m in methods}
    for start, end in buckets:
        inside = [v for t, v in zip(times, values, strict=True) if start <= t < end]
        if not inside:
            continue
        nums = [float(v) for v in inside if is_number(v) and math.isfinite(v)]
        label = [iso_ms(start), iso_ms(end)]
        for m in methods:
            if m == "totalCount":
                out[m].append([len(inside), *label])
            elif m == "distinctCount":
                out[m].append([len({distinct_key(v) for v in inside}), *label])
            elif not nums:
                continue
            elif m == "sum":
                out[m].append([math.fsum(nums), *label])
            elif m == "avg":
                out[m].append([statistics.fmean(nums), *label])
            elif m == "min":
                out[m].append([min(nums), *label])
            elif m == "max":
                out[m].append([max(nums), *label])
            elif m == "sumsq":
                out[m].append([math.fsum(x * x for x in nums), *label])
            elif m == "stddev":
                if len(nums) <= ddof:
                    out[m].append([None, *label])
                else:
                    std = statistics.stdev(nums) if ddof else statistics.pstdev(nums)
                    out[m].append([std, *label])
    return out


def assert_same(got: Aggregated, expected: Aggregated, scale: float = 1.0) -> None:
    assert got.keys() == expected.keys()
    for method, rows in expected.items():
        assert [r[1:] for r in got[method]] == [r[1:] for r in rows], method
        for g, e in zip(got[method], rows, strict=True):
            if e[0] is None or isinstance(e[0], int):
                assert g[0] == e[0] and type(g[0]) is type(e[0]), (method, g, e)
            else:
                tol = 1e-9 * scale * (scale if method == "sumsq" else 1.0)
                assert math.isclose(g[0], e[0], rel_tol=1e-9, abs_tol=tol), (method, g, e)


# -- strategies ----------------------------------------------------------------------------------

number = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.integers(-(10**6), 10**6),
    st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 0.0, 1.5]),  # repeats for distinctCount
)
other = st.one_of(
    st.booleans(), st.none(), st.sampled_from(["open", "closed"]), st.just({"a": [1, 2]})
)


@st.composite
def series(draw: st.DrawFn, mixed: bool) -> tuple[list[int], list[Any]]:
    gaps = draw(st.lists(st.integers(1, 20 * MIN), max_size=120))
    times = [T0 + sum(gaps[: i + 1]) for i in range(len(gaps))]
    kinds = number | other if mixed else number
    return times, draw(st.lists(kinds, min_size=len(times), max_size=len(times)))


@st.composite
def periods(draw: st.DrawFn) -> list[tuple[int, int]]:
    if draw(st.booleans()):  # what bucket_starts makes: contiguous, from some origin
        start = T0 + draw(st.integers(-30 * MIN, 600 * MIN))
        span = draw(st.integers(1, 2400 * MIN))
        period = draw(st.sampled_from(["PT0S", "PT7M", "PT1H", "PT3H", "P1D", "P1M"]))
        return list(bucket_starts(start, start + span, parse_duration_ms(period)))
    cuts = sorted(draw(st.sets(st.integers(0, 2400), min_size=2, max_size=20)))
    pairs = list(itertools.pairwise(cuts))
    chosen = [
        p
        for p, keep in zip(pairs, draw(st.lists(st.booleans(), min_size=len(pairs))), strict=False)
        if keep
    ]
    return [(T0 + a * MIN, T0 + b * MIN) for a, b in chosen]  # with gaps between periods


methods_strategy = st.lists(st.sampled_from(AGGREGATION_METHODS), min_size=1, unique=True)


# -- properties ----------------------------------------------------------------------------------


@settings(deadline=None)
@given(series(mixed=True), periods(), methods_strategy, st.sampled_from([0, 1]))
def test_matches_the_reference_on_mixed_values(
    data: tuple[list[int], list[Any]], buckets: list[tuple[int, int]], methods: list[str], ddof: int
) -> None:
    times, values = data
    got = aggregate_samples(
        np.array(times, dtype=np.int64), values, buckets, methods, stddev_ddof=ddof
    )
    assert_same(got, reference(times, values, buckets, methods, ddof), scale=1e6)


@settings(deadline=None)
@given(series(mixed=False), periods(), methods_strategy)
def test_float_arrays_match_lists(
    data: tuple[list[int], list[Any]], buckets: list[tuple[int, int]], methods: list[str]
) -> None:
    times, values = data
    floats = np.array([float(v) for v in values], dtype=np.float64)
    as_floats = [float(v) for v in values]
    got = aggregate_samples(times, floats, buckets, methods)
    assert_same(got, reference(times, as_floats, buckets, methods), scale=1e6)


# -- semantics, by example -----------------------------------------------------------------------


def test_spec_example_output_shape() -> None:
    times = [T0 + m * MIN for m in (0, 1, 2, 5, 61)]
    values = [120, 100, 110.5, 90, 80]
    buckets = bucket_starts(T0, T0 + 2 * 3_600_000, parse_duration_ms("PT1H"))
    got = aggregate_samples(times, values, buckets, ["max", "avg", "totalCount"])
    assert got == {
        "max": [
            [120.0, "2026-01-01T00:00:00.000Z", "2026-01-01T01:00:00.000Z"],
            [80.0, "2026-01-01T01:00:00.000Z", "2026-01-01T02:00:00.000Z"],
        ],
        "avg": [
            [105.125, "2026-01-01T00:00:00.000Z", "2026-01-01T01:00:00.000Z"],
            [80.0, "2026-01-01T01:00:00.000Z", "2026-01-01T02:00:00.000Z"],
        ],
        "totalCount": [
            [4, "2026-01-01T00:00:00.000Z", "2026-01-01T01:00:00.000Z"],
            [1, "2026-01-01T01:00:00.000Z", "2026-01-01T02:00:00.000Z"],
        ],
    }


def test_empty_periods_are_left_out_and_numbers_only_count_for_numeric_methods() -> None:
    times = [T0, T0 + 1, T0 + 7_200_000, T0 + 7_200_001]
    values: list[Any] = [True, "open", 3.0, False]
    buckets = bucket_starts(T0, T0 + 3 * 3_600_000, parse_duration_ms("PT1H"))
    got = aggregate_samples(
        times, values, buckets, ["totalCount", "distinctCount", "sum", "stddev"]
    )
    assert [row[0] for row in got["totalCount"]] == [2, 2]  # 01:00-02:00 has none: left out
    assert [row[0] for row in got["distinctCount"]] == [2, 2]
    assert got["sum"] == [[3.0, "2026-01-01T02:00:00.000Z", "2026-01-01T03:00:00.000Z"]]
    assert got["stddev"] == [[None, "2026-01-01T02:00:00.000Z", "2026-01-01T03:00:00.000Z"]]


def test_stddev_is_the_sample_one_by_default() -> None:
    values = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]
    times = [T0 + i for i in range(len(values))]
    whole = bucket_starts(T0, T0 + 100, parse_duration_ms("PT0S"))
    assert aggregate_samples(times, values, whole, ["stddev"])["stddev"][0][0] == pytest.approx(
        statistics.stdev(values)
    )
    population = aggregate_samples(times, values, whole, ["stddev"], stddev_ddof=0)
    assert population["stddev"][0][0] == pytest.approx(2.0)


def test_distinct_count_kinds() -> None:
    values: list[Any] = [1, 1.0, True, "1", None, math.nan, math.nan, -0.0, 0, {"a": 1}, {"a": 1}]
    times = list(range(len(values)))
    got = aggregate_samples(times, values, [(0, 100)], ["distinctCount"])
    assert got["distinctCount"][0][0] == 7  # 1, True, "1", None, NaN, 0, {"a": 1}
    floats = np.array([1.0, 1.0, math.nan, math.nan, -0.0, 0.0, math.inf], dtype=np.float64)
    got = aggregate_samples(range(7), floats, [(0, 100)], ["distinctCount"])
    assert got["distinctCount"][0][0] == 4  # 1, NaN, 0, inf


def test_samples_outside_every_period_are_ignored() -> None:
    times = [T0 - 1, T0, T0 + 10, T0 + 20]
    got = aggregate_samples(times, [100.0, 1.0, 2.0, 100.0], [(T0, T0 + 20)], ["sum", "totalCount"])
    assert got["sum"][0][0] == 3.0 and got["totalCount"][0][0] == 2


def test_input_checks() -> None:
    with pytest.raises(ValueError):
        aggregate_samples([1, 2], [1.0], [(0, 10)], ["sum"])
    with pytest.raises(ValueError):
        aggregate_samples([1], [1.0], [(0, 10)], ["median"])
    with pytest.raises(ValueError):
        aggregate_samples([2, 1], [1.0, 2.0], [(0, 10)], ["sum"])
    assert aggregate_samples([], [], [(0, 10)], ["sum"]) == {"sum": []}


def test_select_range_and_last_n() -> None:
    times = np.array([10, 20, 30, 40], dtype=np.int64)
    assert select_range(times, TimeRange(20, 40)) == slice(1, 3)
    assert select_range(times, TimeRange(None, 5)) == slice(0, 0)
    t, v = last_n(times, ["a", "b", "c", "d"], 2)
    assert t.tolist() == [30, 40] and list(v) == ["c", "d"]
    assert last_n(times, [1, 2, 3, 4], None)[0] is times


def test_a_year_of_minutes_by_hour_is_fast() -> None:
    """525,600 samples into 8,760 hourly periods; CPU time printed (run with -s)."""
    rng = np.random.default_rng(3)
    n = 525_600
    times = T0 + np.arange(n, dtype=np.int64) * MIN
    values = np.round(20 + rng.normal(0, 2, n), 1)
    buckets = bucket_starts(T0, T0 + n * MIN, parse_duration_ms("PT1H"))
    aggregate_samples(times, values, buckets, ["avg"])
    for methods in (["avg"], ["totalCount", "sum", "avg", "min", "max", "stddev", "sumsq"]):
        started = time.process_time()
        got = aggregate_samples(times, values, buckets, methods)
        spent = time.process_time() - started
        print(f"hourly {','.join(methods)}: {spent * 1e3:.1f} ms CPU")
        assert all(len(rows) == 8760 for rows in got.values())
        assert spent < 0.5  # generous: CI machines vary; the target is well under 50 ms

"""The block codec: exact round trips, sizes on realistic sensor data, merge semantics."""

from __future__ import annotations

import math
import struct
import time
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cityioc.store import codec
from cityioc.store.codec import Block, decode_block, encode_block, is_number, merge_samples

T0 = 1_764_000_000_000
I64 = st.integers(-(2**63), 2**63 - 1)


def bits(value: float) -> bytes:
    return struct.pack("<d", value)


def same_value(a: Any, b: Any) -> bool:
    """Equal JSON values, floats compared bit for bit (NaN, -0.0) and ints kept ints."""
    if isinstance(a, float) or isinstance(b, float):
        return type(a) is type(b) and bits(a) == bits(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    return type(a) is type(b) and bool(a == b)


def roundtrip(times: list[int] | npt.NDArray[np.int64], values: Any) -> Block:
    block = decode_block(encode_block(times, values))
    assert block.times.dtype == np.int64
    assert block.times.tolist() == list(np.asarray(times).tolist())
    return block


# -- strategies ----------------------------------------------------------------------------------


@st.composite
def ascending_times(draw: st.DrawFn, n: int) -> list[int]:
    start = draw(st.integers(-(2**40), 2**42))
    steps = draw(
        st.one_of(
            st.lists(st.integers(1, 10**9), min_size=n, max_size=n),  # irregular
            st.builds(lambda s, k: [s] * k, st.sampled_from([1000, 10_000, 60_000]), st.just(n)),
            st.lists(st.sampled_from([59_000, 60_000, 61_000]), min_size=n, max_size=n),
        )
    )
    out, t = [], start
    for step in steps:
        out.append(t)
        t += step
    return out


def samples(values: st.SearchStrategy[Any]) -> st.SearchStrategy[tuple[list[int], list[Any]]]:
    return st.integers(0, 40).flatmap(
        lambda n: st.tuples(ascending_times(n), st.lists(values, min_size=n, max_size=n))
    )


any_float = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
decimal = st.builds(lambda i, k: i / 10**k, st.integers(-(10**12), 10**12), st.integers(0, 6))
json_scalar = st.one_of(
    st.none(), st.booleans(), I64, any_float, st.text(max_size=8), st.just(-0.0)
)
finite_scalar = st.one_of(
    st.none(),
    st.booleans(),
    I64,
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
json_value = json_scalar | st.recursive(
    finite_scalar,  # JSON cannot nest NaN or infinities, and nor can the codec
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


# -- round trips ---------------------------------------------------------------------------------


@settings(deadline=None)
@given(samples(any_float))
def test_any_floats_round_trip_bit_for_bit(case: tuple[list[int], list[float]]) -> None:
    times, values = case
    for given_values in (values, np.array(values, dtype=np.float64)):
        block = roundtrip(times, given_values)
        assert block.numeric
        assert isinstance(block.values, np.ndarray)
        assert [bits(v) for v in block.values.tolist()] == [bits(v) for v in values]


@settings(deadline=None)
@given(samples(decimal))
def test_decimals_round_trip_bit_for_bit(case: tuple[list[int], list[float]]) -> None:
    times, values = case
    block = roundtrip(times, values)
    assert [bits(v) for v in block.to_list()] == [bits(v) for v in values]


@settings(deadline=None)
@given(samples(json_value))
def test_json_values_round_trip(case: tuple[list[int], list[Any]]) -> None:
    times, values = case
    block = roundtrip(times, values)
    if block.numeric and not block.integral:  # ints mixed with floats come back as equal floats
        values = [float(v) if isinstance(v, int) else v for v in values]
    assert same_value(block.to_list(), values)
    exact = all(abs(v) <= 2**53 for v in values if isinstance(v, int) and not isinstance(v, bool))
    assert block.numeric == (exact and all(is_number(v) for v in values))


@settings(deadline=None)
@given(samples(st.integers(-(2**53), 2**53)))
def test_ints_come_back_as_ints(case: tuple[list[int], list[int]]) -> None:
    times, values = case
    block = roundtrip(times, values)
    assert block.numeric
    assert block.integral or not values
    assert same_value(block.to_list(), values)


def test_specials_round_trip() -> None:
    values: list[Any] = [-0.0, 0.0, math.inf, -math.inf, math.nan, 5e-324, 1.7976931348623157e308]
    block = roundtrip(list(range(len(values))), values)
    assert [bits(v) for v in block.to_list()] == [bits(v) for v in values]
    for zeros in ([-0.0], [-0.0, 1.0], [1.5, -0.0], [0.0, -0.0, 0.0]):
        assert [bits(v) for v in roundtrip(list(range(len(zeros))), zeros).to_list()] == [
            bits(v) for v in zeros
        ]
    mixed: list[Any] = ["a", math.nan, -0.0, True, None, {"k": [1, 2.5]}, 2**63 - 1, -(2**63)]
    assert same_value(roundtrip(list(range(len(mixed))), mixed).to_list(), mixed)


def test_booleans_are_not_numbers() -> None:
    block = roundtrip([1, 2, 3], [True, False, 1])
    assert not block.numeric
    assert block.to_list() == [True, False, 1]
    assert [type(v) for v in block.to_list()] == [bool, bool, int]
    assert not is_number(True) and not is_number(np.bool_(True))
    assert is_number(np.float32(1.5)) and is_number(3) and not is_number("3")


def test_ints_past_two_to_the_53_stay_exact() -> None:
    values = [2**53 + 1, 3]
    block = roundtrip([0, 1], values)
    assert not block.numeric
    assert block.to_list() == values


def test_empty_and_single() -> None:
    assert len(roundtrip([], []).times) == 0
    assert roundtrip([T0], [21.5]).to_list() == [21.5]
    assert roundtrip([T0], ["x"]).to_list() == ["x"]


# -- input checks --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("times", "values"),
    [
        ([2, 1], [1.0, 2.0]),  # not ascending
        ([1, 1], [1.0, 2.0]),  # repeated time
        ([1, 2], [1.0]),  # length mismatch
        ([1.5, 2.5], [1.0, 2.0]),  # not integers
        ([1, 2], [2**70, 1]),  # not a JSON value orjson can write
        ([1, 2], [object(), 1]),
        ([1, 2], [[math.nan], 1]),  # nested non-finite floats have no JSON form
    ],
)
def test_bad_input_raises_value_error(times: list[Any], values: list[Any]) -> None:
    with pytest.raises(ValueError):
        encode_block(times, values)


def test_unknown_version_or_garbage_raises() -> None:
    data = bytearray(encode_block([1, 2, 3], [1.5, 2.5, 3.5]))
    data[0] = 99
    with pytest.raises(ValueError):
        decode_block(bytes(data))
    with pytest.raises(ValueError):
        decode_block(b"\x01")
    good = encode_block(np.arange(500, dtype=np.int64) * 7, np.arange(500) / 10)
    for cut in (len(good) - 1, len(good) // 2, 23):
        with pytest.raises(ValueError):
            decode_block(good[:cut])
    flipped = bytearray(good)
    flipped[-3] ^= 0xFF
    with pytest.raises(ValueError):
        decode_block(bytes(flipped))


def test_version_byte_comes_first() -> None:
    assert encode_block([1], [1.0])[0] == codec.VERSION


# -- sizes and speed -----------------------------------------------------------------------------


def pm25(rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
    """PM2.5 in µg/m³ with one decimal: a slow random walk plus sensor noise."""
    walk = np.cumsum(rng.normal(0, 0.8, n)) + 15
    noisy: npt.NDArray[np.float64] = np.abs(walk + rng.normal(0, 2.0, n))
    return np.round(noisy, 1)


def temperature(rng: np.random.Generator, n: int) -> npt.NDArray[np.float64]:
    """°C with two decimals: a daily cycle plus noise."""
    x = np.arange(n)
    return np.round(18 + 6 * np.sin(x / 2880 * 2 * np.pi) + rng.normal(0, 0.15, n), 2)


def realistic() -> dict[str, tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]:
    rng = np.random.default_rng(7)
    n = 1000
    regular = T0 + np.arange(n, dtype=np.int64) * 60_000
    jitter = regular + rng.integers(-2000, 2001, n)
    seconds = regular + rng.integers(-2, 3, n) * 1000
    irregular = T0 + np.cumsum(rng.integers(10_000, 60_000, n))
    return {
        "pm25 1dp 60s regular": (regular, pm25(rng, n)),
        "pm25 1dp 60s ±2s jitter (ms)": (jitter, pm25(rng, n)),
        "pm25 1dp 60s ±2s jitter (whole s)": (seconds, pm25(rng, n)),
        "temp 2dp 10-60s irregular": (irregular, temperature(rng, n)),
        "raw float64 noise 60s": (regular, rng.normal(20, 5, n)),
    }


@pytest.mark.parametrize("size", [60, 360, 1000])
def test_one_decimal_sensor_data_fits_eight_bytes_a_sample(size: int) -> None:
    for name, (times, values) in realistic().items():
        if name.startswith("raw"):
            continue
        data = encode_block(times[:size], values[:size])
        per_sample = len(data) / size
        print(f"{name:36s} n={size:5d}: {per_sample:5.2f} bytes/sample")
        assert per_sample <= 8.0, name
        assert data[1] == codec.KIND_SCALED, name  # decimals found, not raw floats


def test_regular_times_cost_nothing_and_decimals_are_scaled() -> None:
    times, values = realistic()["pm25 1dp 60s regular"]
    data = encode_block(times, values)
    assert len(data) / len(times) < 2.0
    header = codec._HEADER.unpack_from(data)
    assert header[3] == 1  # scale: one decimal
    assert header[4] == 0  # t_width: all second deltas are zero
    whole_seconds = realistic()["pm25 1dp 60s ±2s jitter (whole s)"]
    assert codec._HEADER.unpack_from(encode_block(*whole_seconds))[7] == 1000  # t_unit


def test_throughput() -> None:
    """Encode + decode speed, printed (run with -s); the bound only catches a pathology."""
    for name, (times, values) in realistic().items():
        data = encode_block(times, values)
        reps = 30
        started = time.process_time()
        for _ in range(reps):
            decode_block(encode_block(times, values))
        rate = reps * len(times) / max(time.process_time() - started, 1e-9)
        print(f"{name:36s} {len(data) / len(times):5.2f} B/sample, {rate / 1e6:5.2f} M samples/s")
        assert rate > 100_000, name


# -- merging -------------------------------------------------------------------------------------


@settings(deadline=None)
@given(
    st.dictionaries(st.integers(0, 50), st.floats(allow_nan=False), max_size=20),
    st.dictionaries(st.integers(0, 50), st.floats(allow_nan=False), max_size=20),
    st.booleans(),
)
def test_merge_keeps_b_where_times_repeat(
    a: dict[int, float], b: dict[int, float], as_arrays: bool
) -> None:
    at, bt = sorted(a), sorted(b)
    av: Any = [a[t] for t in at]
    bv: Any = [b[t] for t in bt]
    if as_arrays:
        av, bv = np.array(av, dtype=np.float64), np.array(bv, dtype=np.float64)
    times, values = merge_samples(at, av, bt, bv)
    expected = {**a, **b}
    assert times.tolist() == sorted(expected)
    assert isinstance(values, np.ndarray) == as_arrays
    got = values.tolist() if isinstance(values, np.ndarray) else values
    assert [bits(v) for v in got] == [bits(expected[t]) for t in sorted(expected)]
    encode_block(times, values)  # the merged run is a valid block


def test_merge_mixed_kinds_gives_a_list() -> None:
    times, values = merge_samples([1, 2, 3], np.array([1.0, 2.0, 3.0]), [2, 4], ["x", "y"])
    assert times.tolist() == [1, 2, 3, 4]
    assert values == [1.0, "x", 3.0, "y"]
    with pytest.raises(ValueError):
        merge_samples([1, 2], [1.0], [], [])

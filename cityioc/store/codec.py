"""Compressed blocks of time-series samples: one row per series per block, many samples per row.

Layout (little-endian), version 1::

    header  <BBBBBBIIq>  version, kind, flags, scale, t_width, v_width, n, t_unit, t0
    body    zlib(payload) when FLAG_DEFLATED, else the payload as is
    payload [d0 <q>, delta-of-delta times] [values]

* Times: in units of ``t_unit`` ms, the largest step dividing every delta (1000 when a sensor
  stamps whole seconds). The first delta is stored whole, then the delta of deltas, zigzagged and
  stored at the narrowest width (0, 1, 2, 4 or 8 bytes) that fits them all: a regular series
  costs 0 bytes of times, a jittery one 1-2 bytes a sample.
* Numbers, ``KIND_SCALED``: when every value is a decimal with at most 6 digits (``v * 10**k``
  rounds to an integer that divides back to exactly ``v``, bit for bit), the first integer
  ``<q>`` then the deltas, zigzagged at the narrowest width.
* Numbers, ``KIND_FLOAT``: otherwise the float64 bits XOR the previous value's bits (Gorilla): close
  values share sign, exponent and top mantissa, so the high bytes are mostly zero.
* Anything else, ``KIND_JSON``: the values as one orjson array; non-finite floats, which JSON cannot
  carry, are patched back from a side table of (index, bits).

Integer arrays are byte-shuffled (all low bytes, then the next plane ...) before zlib, because
planes of mostly-zero high bytes compress far better than interleaved bytes.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import orjson

__all__ = ["Block", "decode_block", "encode_block", "is_number", "merge_samples"]

VERSION: Final = 1
KIND_SCALED: Final = 1
KIND_FLOAT: Final = 2
KIND_JSON: Final = 3
FLAG_DEFLATED: Final = 1
FLAG_INTEGRAL: Final = 2  # every value was an int: decode gives ints back in Block.to_list()
# Measured on 1000-sample blocks: numeric payloads come out the same size at levels 1-9 (the byte
# planes do the work); JSON text is ~15% smaller at 6 than at 1, and 9 gains nothing more.
ZLIB_LEVEL: Final = 6
MAX_SCALE: Final = 6

_HEADER = struct.Struct("<BBBBBBIIq")
_I64 = struct.Struct("<q")
_U32 = struct.Struct("<I")
_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_PATCH = np.dtype([("i", "<u4"), ("bits", "<u8")])
_SCALES = [10.0**k for k in range(MAX_SCALE + 1)]
_EXACT_INT = 2.0**53  # beyond this float64 no longer holds every integer
_UINT: Final[dict[int, np.dtype[Any]]] = {
    1: np.dtype("<u1"),
    2: np.dtype("<u2"),
    4: np.dtype("<u4"),
    8: np.dtype("<u8"),
}

Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, eq=False)
class Block:
    """Decoded samples. ``values`` is float64 when ``numeric``, else a list of JSON values."""

    times: Int64Array
    values: Float64Array | list[Any]
    numeric: bool
    integral: bool = False  # numeric and every original value was an int

    def to_list(self) -> list[Any]:
        """The values as Python objects, ints restored for integral blocks."""
        if isinstance(self.values, list):
            return self.values
        out: list[Any] = (self.values.astype(np.int64) if self.integral else self.values).tolist()
        return out


def is_number(value: Any) -> bool:
    """Numbers for storage and aggregation: int or float, never bool (bools are JSON booleans)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


# -- encoding ----------------------------------------------------------------------------------


def encode_block(
    times: Sequence[int] | npt.NDArray[Any], values: Sequence[Any] | npt.NDArray[Any]
) -> bytes:
    """Encode samples with strictly ascending ``times`` (epoch ms) into one block."""
    t = _check_times(times)
    n = len(t)
    if len(values) != n:
        raise ValueError(f"{n} times but {len(values)} values")
    t_unit, t_width, tbytes = _encode_times(t)
    numeric = _as_numeric(values)
    flags = scale = v_width = 0
    if numeric is None:
        kind, vbytes = KIND_JSON, _encode_json(values)
    else:
        floats, integral = numeric
        flags |= FLAG_INTEGRAL if integral else 0
        found = _find_scale(floats)
        if found is None:
            kind, v_width, vbytes = KIND_FLOAT, 8, _encode_xor(floats)
        else:
            scale, ints = found
            kind = KIND_SCALED
            v_width, vbytes = _pack_zigzag(ints[1:] - ints[:-1])
            vbytes = (_I64.pack(int(ints[0])) if n else b"") + vbytes
    payload = tbytes + vbytes
    if len(payload) > 32:  # below that, zlib's own 6 bytes of framing cannot pay off
        packed = zlib.compress(payload, ZLIB_LEVEL)
        if len(packed) < len(payload):
            payload, flags = packed, flags | FLAG_DEFLATED
    t0 = int(t[0]) if n else 0
    return _HEADER.pack(VERSION, kind, flags, scale, t_width, v_width, n, t_unit, t0) + payload


def _check_times(times: Sequence[int] | npt.NDArray[Any]) -> Int64Array:
    if isinstance(times, np.ndarray) and times.dtype == np.int64 and times.ndim == 1:
        t: Int64Array = times
    else:
        raw = np.asarray(times)
        if raw.ndim != 1 or (len(raw) and raw.dtype.kind not in "iu"):
            raise ValueError("times must be a flat sequence of integer epoch milliseconds")
        t = raw.astype(np.int64)
    if len(t) > 1 and not (t[1:] > t[:-1]).all():
        raise ValueError("times must be strictly ascending; merge_samples() removes repeats")
    return t


def _encode_times(t: Int64Array) -> tuple[int, int, bytes]:
    """Delta-of-delta in units of the largest step dividing every delta (1000 for whole seconds)."""
    if len(t) < 2:
        return 1, 0, b""
    d = t[1:] - t[:-1]
    unit = int(np.gcd.reduce(d))
    if unit > 0xFFFFFFFF:
        unit = 1
    if unit > 1:
        d = d // unit
    width, dod = _pack_zigzag(d[1:] - d[:-1])
    return unit, width, _I64.pack(int(d[0])) + dod


def _as_numeric(values: Sequence[Any] | npt.NDArray[Any]) -> tuple[Float64Array, bool] | None:
    """The values as float64 and whether all were ints, or None when any is not a number."""
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "f":
            return values.astype(np.float64, copy=False), False
        values = values.tolist()
    kinds = set(map(type, values))  # in C; bool is its own type, so it never passes as int
    if kinds <= {float}:
        return np.array(values, dtype=np.float64), False
    if not kinds <= {int, float} and not all(is_number(v) for v in values):
        return None
    try:
        floats = np.array(values, dtype=np.float64)
    except OverflowError:
        return None
    big = len(floats) > 0 and float(np.abs(floats).max()) >= _EXACT_INT
    if big and any(abs(int(v)) > _EXACT_INT for v in values if isinstance(v, (int, np.integer))):
        return None  # an int past 2**53 stays an exact int, as JSON
    integral = all(issubclass(k, (int, np.integer)) for k in kinds)
    return floats, integral


def _find_scale(v: Float64Array) -> tuple[int, Int64Array] | None:
    """The smallest decimal scale that represents every value exactly, and the scaled integers."""
    if len(v) == 0:
        return 0, np.zeros(0, dtype=np.int64)
    top = float(np.abs(v).max())
    if not math.isfinite(top):
        return None
    bits = v.view(np.int64)
    for k, s in enumerate(_SCALES):
        if top * s >= _EXACT_INT:
            return None
        ints = np.rint(v * s).astype(np.int64)
        # Decode exactly as decode_block will, and compare bits, not ==: -0.0 must not pass.
        if ((ints / s).view(np.int64) == bits).all():
            return k, ints
    return None


def _pack_zigzag(d: Int64Array) -> tuple[int, bytes]:
    """Zigzag signed integers and store them byte-shuffled at the narrowest width that fits."""
    if len(d) == 0:
        return 0, b""
    z = ((d << 1) ^ (d >> 63)).view(np.uint64)
    top = int(z.max())
    if top == 0:
        return 0, b""
    width = 1 if top < 1 << 8 else 2 if top < 1 << 16 else 4 if top < 1 << 32 else 8
    return width, _shuffle(z.astype(_UINT[width]))


def _encode_xor(v: Float64Array) -> bytes:
    bits = v.view(np.uint64)
    x = bits.copy()
    x[1:] ^= bits[:-1]
    return _shuffle(x)


def _shuffle(a: npt.NDArray[Any]) -> bytes:
    if a.itemsize == 1:
        return a.tobytes()
    return a.view(np.uint8).reshape(len(a), a.itemsize).T.tobytes()


def _encode_json(values: Sequence[Any] | npt.NDArray[Any]) -> bytes:
    items = values.tolist() if isinstance(values, np.ndarray) else list(values)
    patches = []
    for i, v in enumerate(items):
        if isinstance(v, float) and not math.isfinite(v):
            patches.append((i, int(np.float64(v).view(np.uint64))))
            items[i] = None
        elif isinstance(v, (list, dict)) and _nested_non_finite(v):
            raise ValueError("NaN and infinities inside JSON arrays or objects cannot be stored")
    try:
        text = orjson.dumps(items)
    except TypeError as exc:
        raise ValueError(f"values must be JSON values: {exc}") from exc
    table = np.array(patches, dtype=_PATCH).tobytes()
    return _U32.pack(len(patches)) + table + text


def _nested_non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list):
        return any(_nested_non_finite(v) for v in value)
    if isinstance(value, dict):
        return any(_nested_non_finite(v) for v in value.values())
    return False


# -- decoding ----------------------------------------------------------------------------------


def decode_block(data: bytes) -> Block:
    """Decode a block made by :func:`encode_block`; floats come back bit for bit.

    Raises ValueError for anything else, a truncated or corrupted block included.
    """
    if len(data) < _HEADER.size or data[0] != VERSION:
        raise ValueError(f"not a version {VERSION} block")
    try:
        return _decode(data)
    except (zlib.error, struct.error, IndexError, orjson.JSONDecodeError) as exc:
        raise ValueError(f"corrupted block: {exc}") from exc


def _decode(data: bytes) -> Block:
    _, kind, flags, scale, t_width, v_width, n, t_unit, t0 = _HEADER.unpack_from(data)
    body = memoryview(data)[_HEADER.size :]
    payload = zlib.decompress(body) if flags & FLAG_DEFLATED else bytes(body)
    times, at = _decode_times(payload, n, t0, t_unit, t_width)
    integral = bool(flags & FLAG_INTEGRAL)
    if kind == KIND_SCALED:
        ints = np.empty(n, dtype=np.int64)
        if n:
            ints[0] = _I64.unpack_from(payload, at)[0]
            ints[1:] = _unpack_zigzag(payload, at + _I64.size, n - 1, v_width)
            np.cumsum(ints, out=ints)
        return Block(times, ints / _SCALES[scale], True, integral)
    if kind == KIND_FLOAT:
        x = _unshuffle(payload, at, n, 8)
        return Block(times, np.bitwise_xor.accumulate(x).view(np.float64), True, integral)
    if kind == KIND_JSON:
        return Block(times, _decode_json(payload, at, n), False)
    raise ValueError(f"unknown block kind {kind}")


def _decode_times(payload: bytes, n: int, t0: int, unit: int, width: int) -> tuple[Int64Array, int]:
    # One buffer [0, d0, dod...]: a first cumsum gives the deltas, a second the offsets from t0.
    times = np.zeros(n, dtype=np.int64)
    if n < 2:
        times += t0
        return times, 0
    times[1] = _I64.unpack_from(payload)[0]
    times[2:] = _unpack_zigzag(payload, _I64.size, n - 2, width)
    np.cumsum(times, out=times)
    np.cumsum(times, out=times)
    if unit != 1:
        times *= unit
    times += t0
    return times, _I64.size + (n - 2) * width


def _unpack_zigzag(payload: bytes, at: int, count: int, width: int) -> Int64Array:
    if width == 0:
        return np.zeros(count, dtype=np.int64)
    z = _unshuffle(payload, at, count, width).astype(np.uint64)
    return ((z >> _ONE) ^ (_ZERO - (z & _ONE))).view(np.int64)


def _unshuffle(payload: bytes, at: int, count: int, width: int) -> npt.NDArray[Any]:
    planes = np.frombuffer(payload, dtype=np.uint8, count=count * width, offset=at)
    if width == 1:
        return planes
    return np.ascontiguousarray(planes.reshape(width, count).T).view(_UINT[width]).ravel()


def _decode_json(payload: bytes, at: int, n: int) -> list[Any]:
    (npatch,) = _U32.unpack_from(payload, at)
    at += _U32.size
    patches = np.frombuffer(payload, dtype=_PATCH, count=npatch, offset=at)
    values: list[Any] = orjson.loads(payload[at + npatch * _PATCH.itemsize :])
    if len(values) != n:
        raise ValueError(f"block says {n} values but holds {len(values)}")
    for i, bits in zip(patches["i"].tolist(), patches["bits"].tolist(), strict=True):
        values[i] = float(np.uint64(bits).view(np.float64))
    return values


# -- merging -----------------------------------------------------------------------------------


def merge_samples(
    a_times: Sequence[int] | npt.NDArray[Any],
    a_values: Sequence[Any] | npt.NDArray[Any],
    b_times: Sequence[int] | npt.NDArray[Any],
    b_values: Sequence[Any] | npt.NDArray[Any],
) -> tuple[Int64Array, Float64Array | list[Any]]:
    """Merge two time-sorted runs; where a time repeats, the last value from ``b`` wins.

    Values stay a float64 array when both sides are float64 arrays, else become a list.
    """
    at = np.asarray(a_times, dtype=np.int64)
    bt = np.asarray(b_times, dtype=np.int64)
    if len(at) != len(a_values) or len(bt) != len(b_values):
        raise ValueError("times and values differ in length")
    t = np.concatenate([at, bt])
    order = np.argsort(t, kind="stable")  # stable: for equal times, b's come after a's
    ts = t[order]
    keep = np.ones(len(ts), dtype=bool)
    keep[:-1] = ts[1:] != ts[:-1]  # keep the last of each run of equal times
    picked = order[keep]
    if isinstance(a_values, np.ndarray) and isinstance(b_values, np.ndarray):
        merged = np.concatenate([a_values, b_values]).astype(np.float64, copy=False)
        return ts[keep], merged[picked]
    both = _as_list(a_values) + _as_list(b_values)
    return ts[keep], [both[i] for i in picked.tolist()]


def _as_list(values: Sequence[Any] | npt.NDArray[Any]) -> list[Any]:
    return values.tolist() if isinstance(values, np.ndarray) else list(values)

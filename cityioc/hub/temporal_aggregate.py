"""NGSI-LD aggregation of raw samples per period, vectorised with numpy.

Semantics (ETSI GS CIM 009, aggregated temporal representation):

* ``totalCount`` counts every instance in the period, whatever its value; ``distinctCount`` counts
  distinct values (numbers by value, so 1 and 1.0 are one value; booleans, strings, null and
  JSON objects each by their own kind; all NaNs are one value).
* ``sum``, ``avg``, ``min``, ``max``, ``stddev``, ``sumsq`` apply to numbers only. Other instances,
  booleans included, are skipped, and so are NaN and infinities, which no JSON input can carry
  and no JSON output can show.
* ``stddev`` is the sample standard deviation (n - 1, as SQL ``stddev`` and the Stellio broker);
  ``stddev_ddof=0`` gives the population one. With too few numbers it is ``None`` (JSON null).
* A period without instances is left out of every list; a period without numbers is left out of
  the lists of the numeric methods.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import orjson

from cityioc.hub.temporal_buckets import Buckets, bucket_arrays, iso_ms_list
from cityioc.hub.temporal_params import AGGREGATION_METHODS, TimeRange
from cityioc.store.codec import is_number

__all__ = [
    "NUMERIC_METHODS",
    "Aggregated",
    "aggregate_samples",
    "last_n",
    "numeric_view",
    "select_range",
]

NUMERIC_METHODS: Final = ("sum", "avg", "min", "max", "stddev", "sumsq")

Aggregated = dict[str, list[list[Any]]]
Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]


def select_range(times: npt.NDArray[Any], time_range: TimeRange) -> slice:
    """The slice of sorted ``times`` inside the range."""
    lo = 0 if time_range.start_ms is None else int(np.searchsorted(times, time_range.start_ms))
    hi = len(times) if time_range.end_ms is None else int(np.searchsorted(times, time_range.end_ms))
    return slice(lo, max(lo, hi))


def last_n(
    times: npt.NDArray[Any], values: Sequence[Any], n: int | None
) -> tuple[npt.NDArray[Any], Sequence[Any]]:
    """lastN: the ``n`` latest instances, still in ascending time order (all when n is None)."""
    if n is None or n >= len(times):
        return times, values
    return times[len(times) - n :], values[len(times) - n :]


def numeric_view(
    values: Sequence[Any] | Float64Array,
) -> tuple[Float64Array, npt.NDArray[np.bool_]]:
    """The values as float64 (NaN where not a number) and which of them count as numbers."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        floats = values.astype(np.float64, copy=False)
    else:
        seq = values.tolist() if isinstance(values, np.ndarray) else values
        floats = _to_floats(seq)
    return floats, np.isfinite(floats)


def _to_floats(values: Sequence[Any]) -> Float64Array:
    if set(map(type, values)) <= {float, int}:  # in C; bool is its own type
        try:
            return np.array(values, dtype=np.float64)
        except OverflowError:
            pass
    return np.array([_float_or_nan(v) for v in values], dtype=np.float64)


def _float_or_nan(value: Any) -> float:
    if not is_number(value):
        return float("nan")
    try:
        return float(value)
    except OverflowError:
        return float("nan")


def aggregate_samples(
    times: npt.NDArray[Any] | Sequence[int],
    values: Sequence[Any] | Float64Array,
    buckets: Buckets,
    methods: Sequence[str],
    *,
    stddev_ddof: int = 1,
) -> Aggregated:
    """Aggregate ascending samples into ``buckets``: ``{method: [[value, startIso, endIso], ...]}``.

    Pass float64 values (as decoded blocks are) for speed; lists of JSON values work too.
    """
    unknown = set(methods) - set(AGGREGATION_METHODS)
    if unknown:
        raise ValueError(f"unknown aggregation methods {sorted(unknown)}")
    t = np.asarray(times, dtype=np.int64)
    if len(t) != len(values):
        raise ValueError(f"{len(t)} times but {len(values)} values")
    if not (t[1:] >= t[:-1]).all():
        raise ValueError("times must be ascending")
    starts, ends = bucket_arrays(buckets)
    out: Aggregated = {m: [] for m in methods}
    if len(t) == 0 or len(starts) == 0:
        return out
    seg = Segments(np.searchsorted(t, starts), np.searchsorted(t, ends), len(t))
    labels = BucketLabels(starts, ends)
    if "totalCount" in out:
        labels.emit(out["totalCount"], seg.sizes, seg.sizes > 0)
    if "distinctCount" in out:
        distinct = _distinct_counts(values, seg)
        labels.emit(out["distinctCount"], distinct, distinct > 0)
    wanted = [m for m in methods if m in NUMERIC_METHODS]
    if wanted:
        _numeric(out, wanted, seg, *numeric_view(values), labels=labels, ddof=stddev_ddof)
    return out


class Segments:
    """Bucket ``i`` holds the items ``lo[i]:hi[i]`` of an ascending array of ``n`` items."""

    def __init__(self, lo: npt.NDArray[Any], hi: npt.NDArray[Any], n: int) -> None:
        self.lo = lo.astype(np.int64, copy=False)
        self.hi = hi.astype(np.int64, copy=False)
        self.n = n
        self.sizes = self.hi - self.lo

    def reduce(self, ufunc: np.ufunc, items: npt.NDArray[Any], fill: Any) -> npt.NDArray[Any]:
        """``ufunc`` over each bucket's items; ``fill`` for empty buckets."""
        # reduceat over the interleaved bounds [lo0, hi0, lo1, hi1 ...]: the even results are the
        # buckets, the odd ones the gaps between them. One spare item keeps hi == n a valid index.
        idx = np.empty(2 * len(self.lo), dtype=np.int64)
        idx[0::2], idx[1::2] = self.lo, self.hi
        padded = np.append(items, np.array([fill], dtype=items.dtype))
        res = ufunc.reduceat(padded, idx)[0::2]
        res[self.sizes == 0] = fill
        return res

    def spread(self, per_bucket: npt.NDArray[Any], fill: Any) -> npt.NDArray[Any]:
        """A per-item array holding each bucket's value on its items and ``fill`` elsewhere."""
        before = self.lo - np.r_[0, self.hi[:-1]]
        lengths = np.empty(2 * len(self.lo) + 1, dtype=np.int64)
        lengths[0:-1:2], lengths[1::2], lengths[-1] = before, self.sizes, self.n - self.hi[-1]
        vals = np.full(len(lengths), fill, dtype=per_bucket.dtype)
        vals[1::2] = per_bucket
        return np.repeat(vals, lengths)

    def labels(self) -> npt.NDArray[np.int64]:
        """The bucket of each item inside a bucket, in item order."""
        return np.repeat(np.arange(len(self.lo), dtype=np.int64), self.sizes)

    def inside(self) -> npt.NDArray[np.bool_]:
        """Which items fall in some bucket."""
        return self.spread(np.ones(len(self.lo), dtype=bool), False)


class BucketLabels:
    """ISO texts of bucket bounds, formatted once and shared by every method."""

    def __init__(self, starts: Int64Array, ends: Int64Array) -> None:
        self.starts, self.ends = starts, ends
        self._start_iso: list[str] | None = None
        self._end_iso: list[str] | None = None

    def emit(self, into: list[list[Any]], values: npt.NDArray[Any], keep: npt.NDArray[Any]) -> None:
        if self._start_iso is None:
            self._start_iso = iso_ms_list(self.starts)
            contiguous = (self.starts[1:] == self.ends[:-1]).all()
            last = iso_ms_list(self.ends[-1:])
            self._end_iso = self._start_iso[1:] + last if contiguous else iso_ms_list(self.ends)
        assert self._end_iso is not None
        s, e = self._start_iso, self._end_iso
        idx = np.flatnonzero(keep).tolist()
        picked = values[keep].tolist()
        into.extend([[v, s[i], e[i]] for v, i in zip(picked, idx, strict=True)])


def _numeric(
    out: Aggregated,
    methods: list[str],
    seg: Segments,
    floats: Float64Array,
    isnum: npt.NDArray[np.bool_],
    *,
    labels: BucketLabels,
    ddof: int,
) -> None:
    """The numeric methods; items that are not numbers weigh nothing (0, +inf or -inf)."""
    everything = bool(isnum.all())
    x = floats if everything else np.where(isnum, floats, 0.0)
    count = seg.sizes if everything else seg.reduce(np.add, isnum.astype(np.int64), 0)
    has = count > 0
    total = seg.reduce(np.add, x, 0.0)
    mean = total / np.maximum(count, 1)
    for m in methods:
        if m == "sum":
            labels.emit(out[m], total, has)
        elif m == "avg":
            labels.emit(out[m], mean, has)
        elif m == "sumsq":
            labels.emit(out[m], seg.reduce(np.add, x * x, 0.0), has)
        elif m == "min":
            low = floats if everything else np.where(isnum, floats, np.inf)
            labels.emit(out[m], seg.reduce(np.minimum, low, np.inf), has)
        elif m == "max":
            high = floats if everything else np.where(isnum, floats, -np.inf)
            labels.emit(out[m], seg.reduce(np.maximum, high, -np.inf), has)
        elif m == "stddev":
            # Two passes (deviations from each bucket's mean): sumsq - sum**2/n cancels badly.
            dev = x - seg.spread(mean, 0.0)
            if not everything:
                dev[~isnum] = 0.0
            m2 = seg.reduce(np.add, dev * dev, 0.0)
            labels.emit(out[m], stddev_values(m2, count, ddof), has)


def stddev_values(m2: Float64Array, count: npt.NDArray[Any], ddof: int) -> npt.NDArray[Any]:
    """sqrt(M2 / (n - ddof)) per bucket as objects, None where n - ddof < 1."""
    denom = count - ddof
    std: npt.NDArray[Any] = np.sqrt(np.maximum(m2, 0.0) / np.maximum(denom, 1)).astype(object)
    std[denom <= 0] = None
    return std


def _distinct_counts(values: Sequence[Any] | Float64Array, seg: Segments) -> Int64Array:
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        x = values.astype(np.float64, copy=False)
        return _distinct_floats(x[seg.inside()], seg.labels(), len(seg.lo))
    seq = values.tolist() if isinstance(values, np.ndarray) else values
    res = np.zeros(len(seg.lo), dtype=np.int64)
    for i, (lo, hi) in enumerate(zip(seg.lo.tolist(), seg.hi.tolist(), strict=True)):
        if hi > lo:
            res[i] = len({_distinct_key(v) for v in seq[lo:hi]})
    return res


def _distinct_floats(x: Float64Array, b: Int64Array, nb: int) -> Int64Array:
    """Distinct values per bucket: rank the values, then count distinct (bucket, rank) pairs."""
    if len(x) == 0:
        return np.zeros(nb, dtype=np.int64)
    xs = np.sort(x)  # NaNs last; -0.0 next to 0.0, which compares equal
    uniq = xs[np.r_[True, xs[1:] != xs[:-1]]]
    rank = np.searchsorted(uniq, x)  # every NaN gets the rank of the first NaN
    pairs = np.sort(b * len(uniq) + rank)
    firsts = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]
    return np.bincount(firsts // len(uniq), minlength=nb)


def _distinct_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, (bool, np.bool_)):
        return 1, bool(value)
    if is_number(value):
        nan = isinstance(value, (float, np.floating)) and math.isnan(value)
        return (0, "nan") if nan else (0, value)  # NaN != NaN, yet all NaNs are one value here
    if isinstance(value, str):
        return 2, value
    if value is None:
        return 3, None
    return 4, orjson.dumps(value, option=orjson.OPT_SORT_KEYS)

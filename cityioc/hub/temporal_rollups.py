"""Rollups: partial aggregates ``(count, sum, sumsq, min, max)`` of the numbers in clock-aligned
buckets, so that a year of data aggregates without decoding a year of raw samples.

A rollup answers a request only when every requested period starts and ends on a rollup boundary
(see :func:`rollups_can_answer`), and never ``distinctCount``. Partials hold numbers only (finite
ints and floats, not booleans), so ``totalCount`` from rollups counts numbers: use them for numeric
series, or keep a separate count of the other instances. Partials cannot forget a sample: when a
write replaces the value at an existing time, rebuild that bucket from the raw samples.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cityioc.hub.temporal_aggregate import (
    NUMERIC_METHODS,
    Aggregated,
    BucketLabels,
    Segments,
    numeric_view,
    stddev_values,
)
from cityioc.hub.temporal_buckets import Buckets, bucket_arrays
from cityioc.hub.temporal_params import Duration

__all__ = [
    "Partial",
    "Partials",
    "aggregate_from_rollups",
    "combine",
    "merge_partials",
    "partials_from_samples",
    "rollups_can_answer",
]

Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Partial:
    """The partial aggregate of one bucket; the empty one has min +inf and max -inf."""

    count: int = 0
    sum: float = 0.0
    sumsq: float = 0.0
    min: float = math.inf
    max: float = -math.inf


@dataclass(frozen=True, slots=True, eq=False)
class Partials:
    """Partials of many buckets, one array per field (the shape of the store's rollup rows)."""

    count: Int64Array
    sum: Float64Array
    sumsq: Float64Array
    min: Float64Array
    max: Float64Array

    def __len__(self) -> int:
        return len(self.count)

    def __getitem__(self, i: int) -> Partial:
        return Partial(
            int(self.count[i]),
            float(self.sum[i]),
            float(self.sumsq[i]),
            float(self.min[i]),
            float(self.max[i]),
        )

    @staticmethod
    def of(parts: Sequence[Partial]) -> Partials:
        return Partials(
            np.array([p.count for p in parts], dtype=np.int64),
            np.array([p.sum for p in parts], dtype=np.float64),
            np.array([p.sumsq for p in parts], dtype=np.float64),
            np.array([p.min for p in parts], dtype=np.float64),
            np.array([p.max for p in parts], dtype=np.float64),
        )


def combine(*parts: Partial) -> Partial:
    """The partial of the union of the samples behind ``parts``."""
    return Partial(
        sum(p.count for p in parts),
        math.fsum(p.sum for p in parts),
        math.fsum(p.sumsq for p in parts),
        min((p.min for p in parts), default=math.inf),
        max((p.max for p in parts), default=-math.inf),
    )


def bucket_of(times: npt.NDArray[Any], bucket: int | Duration) -> Int64Array:
    """The start of the UTC-clock-aligned bucket of each time: a width in ms, or whole months."""
    t = np.asarray(times, dtype=np.int64)
    if isinstance(bucket, Duration):
        if bucket.months == 0:
            return bucket_of(t, bucket.ms)
        if bucket.ms:
            raise ValueError("calendar rollups take whole months only (P1M, P3M, P1Y ...)")
    elif bucket > 0:
        return (t // bucket) * bucket
    else:
        raise ValueError("bucket width must be positive")
    month = t.astype("datetime64[ms]").astype("datetime64[M]").astype(np.int64)  # since 1970-01
    first = (month // bucket.months) * bucket.months
    return first.astype("datetime64[M]").astype("datetime64[ms]").astype(np.int64)


def partials_from_samples(
    times: npt.NDArray[Any] | Sequence[int],
    values: Sequence[Any] | Float64Array,
    bucket: int | Duration,
) -> tuple[Int64Array, Partials]:
    """Rollup rows for ascending samples: bucket starts (only buckets with numbers) and partials."""
    t = np.asarray(times, dtype=np.int64)
    floats, isnum = numeric_view(values)
    starts = bucket_of(t[isnum], bucket)
    x = floats[isnum]
    if len(x) == 0:
        return np.zeros(0, dtype=np.int64), Partials.of([])
    first = np.flatnonzero(np.r_[True, starts[1:] != starts[:-1]])
    return starts[first], Partials(
        np.diff(np.r_[first, len(x)]),
        np.add.reduceat(x, first),
        np.add.reduceat(x * x, first),
        np.minimum.reduceat(x, first),
        np.maximum.reduceat(x, first),
    )


def merge_partials(
    starts_a: Int64Array, a: Partials, starts_b: Int64Array, b: Partials
) -> tuple[Int64Array, Partials]:
    """Combine two sets of rollup rows; rows with the same start add up (an upsert batch)."""
    starts = np.concatenate([starts_a, starts_b])
    order = np.argsort(starts, kind="stable")
    s = starts[order]
    if len(s) == 0:
        return s, Partials.of([])
    first = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])

    def cat(name: str) -> npt.NDArray[Any]:
        return np.concatenate([getattr(a, name), getattr(b, name)])[order]

    return s[first], Partials(
        np.add.reduceat(cat("count"), first),
        np.add.reduceat(cat("sum"), first),
        np.add.reduceat(cat("sumsq"), first),
        np.minimum.reduceat(cat("min"), first),
        np.maximum.reduceat(cat("max"), first),
    )


def rollups_can_answer(buckets: Buckets, methods: Sequence[str], rollup_width_ms: int) -> bool:
    """Whether rollups of that width give exactly the raw answer for these periods."""
    if any(m not in NUMERIC_METHODS and m != "totalCount" for m in methods):
        return False
    starts, ends = bucket_arrays(buckets)
    return bool((starts % rollup_width_ms == 0).all() and (ends % rollup_width_ms == 0).all())


def aggregate_from_rollups(
    rollup_starts: npt.NDArray[Any] | Sequence[int],
    rollup_partials: Partials,
    rollup_width_ms: int,
    buckets: Buckets,
    methods: Sequence[str],
    *,
    stddev_ddof: int = 1,
) -> Aggregated:
    """The aggregation of :func:`aggregate_samples`, from ascending rollup rows of that width."""
    if not rollups_can_answer(buckets, methods, rollup_width_ms):
        raise ValueError("these periods or methods need the raw samples")
    rs = np.asarray(rollup_starts, dtype=np.int64)
    starts, ends = bucket_arrays(buckets)
    out: Aggregated = {m: [] for m in methods}
    if len(rs) == 0 or len(starts) == 0:
        return out
    # Aligned periods: a rollup row belongs to the period its start falls in, wholly.
    seg = Segments(np.searchsorted(rs, starts), np.searchsorted(rs, ends), len(rs))
    p = rollup_partials
    count = seg.reduce(np.add, p.count.astype(np.int64, copy=False), 0)
    has = count > 0
    total = seg.reduce(np.add, p.sum, 0.0)
    labels = BucketLabels(starts, ends)
    for m in methods:
        if m == "totalCount":
            labels.emit(out[m], count, has)
        elif m == "sum":
            labels.emit(out[m], total, has)
        elif m == "sumsq":
            labels.emit(out[m], seg.reduce(np.add, p.sumsq, 0.0), has)
        elif m == "avg":
            labels.emit(out[m], total / np.maximum(count, 1), has)
        elif m == "min":
            labels.emit(out[m], seg.reduce(np.minimum, p.min, np.inf), has)
        elif m == "max":
            labels.emit(out[m], seg.reduce(np.maximum, p.max, -np.inf), has)
        elif m == "stddev":
            low = seg.reduce(np.minimum, p.min, np.inf)
            high = seg.reduce(np.maximum, p.max, -np.inf)
            m2 = _m2(count, total, seg.reduce(np.add, p.sumsq, 0.0), high - low)
            labels.emit(out[m], stddev_values(m2, count, stddev_ddof), has)
    return out


def _m2(
    count: Int64Array, total: Float64Array, sumsq: Float64Array, spread: Float64Array
) -> Float64Array:
    """Sum of squared deviations from (count, sum, sumsq), kept within what min and max allow.

    ``sumsq - sum**2 / n`` cancels: its error is about 1e-16 * sumsq, so a stddev from rollups is
    off by up to ~2e-8 times the values' magnitude. Equal values (max == min) give exactly 0, and
    no bucket exceeds Popoviciu's bound n * (max - min)**2 / 4.
    """
    n = np.maximum(count, 1)
    m2 = sumsq - total * total / n
    return np.clip(m2, 0.0, n * spread * spread / 4)

"""Rollup partials (count, sum, sum of squares, min, max) per series and clock-aligned bucket.

Computed with numpy for a whole write batch at once, so a batch of 100,000 readings costs a few
vectorised passes rather than 300,000 dictionary updates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cityioc.store.port import RollupData


@dataclass(frozen=True, slots=True)
class RollupRows:
    sid: np.ndarray
    bucket: np.ndarray
    n: np.ndarray
    sum: np.ndarray
    sumsq: np.ndarray
    mn: np.ndarray
    mx: np.ndarray

    def rows(self, width: int) -> list[tuple[int, int, int, int, float, float, float, float]]:
        return list(
            zip(
                self.sid.tolist(),
                [width] * len(self.sid),
                self.bucket.tolist(),
                self.n.tolist(),
                self.sum.tolist(),
                self.sumsq.tolist(),
                self.mn.tolist(),
                self.mx.tolist(),
                strict=True,
            )
        )


def partials(sids: np.ndarray, times: np.ndarray, values: np.ndarray, width: int) -> RollupRows:
    """Group numeric samples by (series, bucket of ``width`` ms) and reduce each group."""
    buckets = (times // width) * width
    order = np.lexsort((buckets, sids))
    s, b, v = sids[order], buckets[order], values[order]
    if len(s) == 0:
        empty_i = np.empty(0, dtype=np.int64)
        empty_f = np.empty(0, dtype=np.float64)
        return RollupRows(empty_i, empty_i, empty_i, empty_f, empty_f, empty_f, empty_f)
    change = np.ones(len(s), dtype=bool)
    change[1:] = (s[1:] != s[:-1]) | (b[1:] != b[:-1])
    starts = np.flatnonzero(change)
    counts = np.diff(np.append(starts, len(s)))
    return RollupRows(
        sid=s[starts],
        bucket=b[starts],
        n=counts,
        sum=np.add.reduceat(v, starts),
        sumsq=np.add.reduceat(v * v, starts),
        mn=np.minimum.reduceat(v, starts),
        mx=np.maximum.reduceat(v, starts),
    )


def combine_rollups(a: RollupData, b: RollupData) -> RollupData:
    """Rollup rows of two sources for one series, combined per bucket (sorted by bucket)."""
    buckets = np.concatenate([a.buckets, b.buckets])
    if len(buckets) == 0:
        return a
    order = np.argsort(buckets, kind="stable")
    bk = buckets[order]
    starts = np.flatnonzero(np.r_[True, bk[1:] != bk[:-1]])

    def merged(x: np.ndarray, y: np.ndarray, reduce: np.ufunc) -> np.ndarray:
        return reduce.reduceat(np.concatenate([x, y])[order], starts)

    return RollupData(
        buckets=bk[starts],
        n=merged(a.n, b.n, np.add),
        sum=merged(a.sum, b.sum, np.add),
        sumsq=merged(a.sumsq, b.sumsq, np.add),
        mn=merged(a.mn, b.mn, np.minimum),
        mx=merged(a.mx, b.mx, np.maximum),
    )

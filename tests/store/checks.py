"""Assertions shared by the storage tests."""

from __future__ import annotations

import numpy as np
import pytest

from cityioc.store.port import ROLLUP_WIDTHS_MS, SeriesKey, Store


async def assert_rollups_match_raw(store: Store, key: SeriesKey) -> np.ndarray:
    """Every rollup bucket holds exactly the count, sum, min and max of the raw samples in it.

    Returns the raw values, for further checks.
    """
    raw = (await store.read_series("default", [key], None, None))[key]
    values = np.array(raw.values, dtype=float)
    for width in ROLLUP_WIDTHS_MS:
        rollup = await store.read_rollups("default", key, width, None, None)
        buckets = raw.times // width * width
        assert rollup.buckets.tolist() == sorted(set(buckets.tolist()))
        for bucket, n, total, mn, mx in zip(
            rollup.buckets, rollup.n, rollup.sum, rollup.mn, rollup.mx, strict=True
        ):
            mine = values[buckets == bucket]
            assert (n, mn, mx) == (len(mine), mine.min(), mine.max())
            assert total == pytest.approx(mine.sum())
    return values

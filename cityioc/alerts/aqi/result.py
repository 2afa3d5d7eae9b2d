"""What an index computation returns."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class AqiResult:
    """The index (the largest sub-index, rounded), the pollutant that gave it, and every sub-index.

    ``beyond`` is true when a concentration is above the table's top breakpoint: the index is then
    reported as 500 and read as "> 500" ("beyond the index").
    """

    value: int
    dominant: str
    sub_indices: Mapping[str, float] = field(default_factory=dict)
    beyond: bool = False


def round_half_up(x: float) -> int:
    """Round to the nearest integer, halves up (121.5 → 122), as both standards publish."""
    return math.floor(x + 0.5)


def interpolate(c: float, breakpoints: tuple[float, ...], index: tuple[int, ...]) -> float | None:
    """The piecewise-linear index of ``c`` (None above the top breakpoint)."""
    if c < 0:
        raise ValueError("a concentration cannot be negative")
    for i in range(len(breakpoints) - 1):
        lo, hi = breakpoints[i], breakpoints[i + 1]
        if c <= hi:
            return (index[i + 1] - index[i]) / (hi - lo) * (c - lo) + index[i]
    return None


def combine(sub: Mapping[str, float | None]) -> AqiResult | None:
    """The maximum of the sub-indices (None sub-indices are beyond the table)."""
    if not sub:
        return None
    beyond = [name for name, value in sub.items() if value is None]
    known = {name: value for name, value in sub.items() if value is not None}
    if beyond:
        return AqiResult(500, beyond[0], {**known, **dict.fromkeys(beyond, 500.0)}, beyond=True)
    dominant = max(known, key=lambda name: known[name])
    return AqiResult(round_half_up(known[dominant]), dominant, known)

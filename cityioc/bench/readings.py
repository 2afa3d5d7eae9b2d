"""Synthetic readings, the same rows for the HTTP body and for the raw-append reference.

A ``SeriesPlan`` owns some entities with some attributes; its n-th reading belongs to series
``n % S`` at tick ``n // S``. So within a plan every series moves forward in time (nothing is late
or repeated, nothing dedups), and plans with disjoint entities can be sent concurrently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import orjson

from cityioc.core.clock import iso_ms

YEAR_2025_MS = 1_735_689_600_000  # 2025-01-01T00:00:00Z
# Typical ranges, so that values look like sensor data (one decimal, as devices send them).
VALUE_RANGES = {
    "temperature": (22.0, 36.0),
    "relativeHumidity": (40.0, 100.0),
    "atmosphericPressure": (1000.0, 1020.0),
}


@dataclass(frozen=True, slots=True)
class RawBatch:
    """Column arrays of one batch: series id (as the raw table numbers them), time, value."""

    sid: np.ndarray
    t: np.ndarray
    v: np.ndarray

    def __len__(self) -> int:
        return len(self.sid)


@dataclass(frozen=True, slots=True)
class SeriesPlan:
    entity_type: str
    first_entity: int  # global index of this plan's first entity
    entities: int
    attrs: tuple[str, ...]
    step_ms: int  # time between two readings of one series
    start_ms: int = YEAR_2025_MS
    seed: int = 0

    @property
    def series(self) -> int:
        return self.entities * len(self.attrs)

    def entity_id(self, index: int) -> str:
        return f"urn:ngsi-ld:{self.entity_type}:bench-{index:06d}"

    def columns(self, start: int, count: int) -> tuple[np.ndarray, np.ndarray, RawBatch]:
        """Readings ``start .. start+count``: (entity index, attribute index, raw rows)."""
        n = np.arange(start, start + count, dtype=np.int64)
        series = n % self.series
        entity = self.first_entity + series // len(self.attrs)
        attr = series % len(self.attrs)
        t = self.start_ms + (n // self.series) * self.step_ms
        rng = np.random.default_rng((self.seed, start))
        lows = np.array([VALUE_RANGES.get(a, (0.0, 100.0))[0] for a in self.attrs])
        highs = np.array([VALUE_RANGES.get(a, (0.0, 100.0))[1] for a in self.attrs])
        v = np.round(lows[attr] + rng.random(count) * (highs[attr] - lows[attr]), 1)
        sid = (entity * len(self.attrs) + attr + 1).astype(np.int32)
        return entity, attr, RawBatch(sid, t, v)

    def raw(self, start: int, count: int) -> RawBatch:
        return self.columns(start, count)[2]

    def body(self, start: int, count: int) -> bytes:
        """The ``POST /api/v1/readings`` body: a JSON array of readings start .. start+count."""
        entity, attr, raw = self.columns(start, count)
        ids = {int(e): self.entity_id(int(e)) for e in np.unique(entity)}
        times = {int(t): iso_ms(int(t)) for t in np.unique(raw.t)}
        items = [
            {"entity": ids[e], "attribute": self.attrs[a], "value": v, "observedAt": times[t]}
            for e, a, t, v in zip(
                entity.tolist(), attr.tolist(), raw.t.tolist(), raw.v.tolist(), strict=True
            )
        ]
        return orjson.dumps(items)

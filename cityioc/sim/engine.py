"""The readings of a time window: who reports when, what they report, what goes missing.

Each sensor reports every ``interval_ms`` (streetlights every ``SLOWER["Streetlight"]`` intervals,
as lighting controllers report less often than environmental sensors) at a fixed phase inside its
interval (a hash of its id, whole seconds), so the load is spread evenly instead of arriving in
one burst per tick. A window
[t0, t1) holds every report due in it; its readings are ordered by (time, fleet position,
attribute), so cutting a range into windows of any size yields the same bytes in the same order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cityioc.sim.climate import HOUR
from cityioc.sim.effects import EFFECTS
from cityioc.sim.fleet import Fleet, TypeGroup
from cityioc.sim.models import ATTRIBUTES, MODELS, Obs, Values
from cityioc.sim.noise import uniform
from cityioc.sim.scenarios import MINUTE, ScenarioRun

Reading = dict[str, Any]  # {entity, attribute, value, observedAt, unitCode?}
SLOWER = {"Streetlight": 4}  # types that report every N intervals
DROP_RATE = 0.002  # single lost messages
DROPOUT_RATE = 0.003  # per sensor-hour: a dropout of 2–8 minutes (never long enough to alarm)


@dataclass(slots=True)
class Observed:
    """The kept observations of one type in a window, with their publishable values."""

    group: TypeGroup
    idx: np.ndarray
    t: np.ndarray
    values: Values


class Engine:
    def __init__(self, fleet: Fleet, *, seed: int = 0, interval_ms: int = 60_000) -> None:
        if interval_ms < 1000:
            raise ValueError("the reporting interval must be at least one second")
        self.fleet = fleet
        self.seed = seed
        self.interval_ms = interval_ms
        self.steps = {kind: interval_ms * SLOWER.get(kind, 1) for kind in fleet.groups}
        self._phases = {
            kind: (group.unit(seed, "phase") * (self.steps[kind] // 1000)).astype(np.int64) * 1000
            for kind, group in fleet.groups.items()
        }
        self._touched: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    @property
    def longest_step_ms(self) -> int:
        """Within this much time every sensor reports at least once."""
        return max(self.steps.values(), default=self.interval_ms)

    @property
    def readings_per_interval(self) -> int:
        """How many readings the whole fleet sends per interval, on average (gaps aside)."""
        return round(
            sum(
                len(g) * len(ATTRIBUTES[k]) / SLOWER.get(k, 1) for k, g in self.fleet.groups.items()
            )
        )

    def schedule(self, group: TypeGroup, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray]:
        """(sensor index, time) of every report of the group due in [t0, t1)."""
        phase = self._phases[group.type]
        step = self.steps[group.type]
        first = -((phase - t0) // step)  # ceil((t0 - phase) / step)
        stop = -((phase - t1) // step)
        counts = np.maximum(stop - first, 0)
        idx = np.repeat(np.arange(len(group), dtype=np.int64), counts)
        offsets = np.arange(len(idx), dtype=np.int64) - np.repeat(
            np.cumsum(counts) - counts, counts
        )
        t = (first[idx] + offsets) * step + phase[idx]
        return idx, t

    def observe(self, t0: int, t1: int, runs: Sequence[ScenarioRun] = ()) -> list[Observed]:
        out = []
        active = [r for r in runs if r.overlaps(t0, t1)]
        for kind, group in self.fleet.groups.items():
            idx, t = self.schedule(group, t0, t1)
            if not len(t):
                continue
            obs = Obs(self.seed, group, idx, t)
            values = {k: np.array(v, copy=True) for k, v in MODELS[kind](obs).items()}
            keep = self._present(obs)
            for run in active:
                self._apply(run, obs, values, keep)
            if not keep.all():
                idx, t = idx[keep], t[keep]
                values = {k: v[keep] for k, v in values.items()}
            out.append(Observed(group, idx, t, values))
        return out

    def _present(self, o: Obs) -> np.ndarray:
        """False for the reports that get lost: rare single drops and short dropouts."""
        keep = o.uniform("gap/drop") >= DROP_RATE
        hour = o.t // HOUR
        for h in (hour, hour - 1):
            starts = uniform(self.seed, "gap/dropout", o.keys, h) < DROPOUT_RATE
            begin = h * HOUR + (uniform(self.seed, "gap/at", o.keys, h) * 55 * MINUTE).astype(
                np.int64
            )
            length = ((2 + 6 * uniform(self.seed, "gap/length", o.keys, h)) * MINUTE).astype(
                np.int64
            )
            keep &= ~(starts & (o.t >= begin) & (o.t < begin + length))
        return keep

    def _apply(self, run: ScenarioRun, o: Obs, values: Values, keep: np.ndarray) -> None:
        touched, weights = self._touched_in(run, o.group)
        if not touched.any():
            return
        hit = touched[o.idx] & (o.t >= run.start_ms) & (o.t < run.end_ms)
        sel = np.nonzero(hit)[0]
        if len(sel):
            EFFECTS[run.name](run, o, values, keep, sel, weights[o.idx[sel]])

    def _touched_in(self, run: ScenarioRun, group: TypeGroup) -> tuple[np.ndarray, np.ndarray]:
        cache_key = (run.id, group.type)
        found = self._touched.get(cache_key)
        if found is None:
            weight = dict(zip(run.sensors, run.weights, strict=True))
            touched = np.fromiter((i in weight for i in group.ids), bool, len(group))
            weights = np.fromiter((weight.get(i, 0.0) for i in group.ids), np.float64, len(group))
            found = self._touched[cache_key] = (touched, weights)
        return found

    def forget(self, run_id: str) -> None:
        for key in [k for k in self._touched if k[0] == run_id]:
            del self._touched[key]

    def readings(self, t0: int, t1: int, runs: Sequence[ScenarioRun] = ()) -> list[Reading]:
        return to_readings(self.observe(t0, t1, runs))

    def latest(self, now: int, runs: Sequence[ScenarioRun] = ()) -> list[Reading]:
        """Each sensor's last report before ``now`` (within its own interval): a first round."""
        out = []
        for o in self.observe(now - self.longest_step_ms, now, runs):
            recent = o.t >= now - self.steps[o.group.type]
            values = {k: v[recent] for k, v in o.values.items()}
            out.append(Observed(o.group, o.idx[recent], o.t[recent], values))
        return to_readings(out)


def windows(
    t0: int, t1: int, per_interval: int, interval_ms: int, batch: int
) -> Iterator[tuple[int, int]]:
    """[t0, t1) cut into consecutive windows of about ``batch`` readings each."""
    expected = per_interval * (t1 - t0) / interval_ms
    parts = max(1, math.ceil(expected / max(batch, 1)))
    step = max(1, math.ceil((t1 - t0) / parts))
    for start in range(t0, t1, step):
        yield start, min(start + step, t1)


def to_readings(observed: Iterable[Observed]) -> list[Reading]:
    """Readings for ``POST /api/v1/readings`` / ``Hub.ingest_readings``, in a fixed order."""
    chunks = list(observed)
    if not chunks:
        return []
    columns = [_columns(o) for o in chunks]
    times = np.concatenate([o.t for o in chunks])
    positions = np.concatenate([o.group.ordinals[o.idx] for o in chunks])
    chunk_of = np.concatenate([np.full(len(o.t), i, np.int64) for i, o in enumerate(chunks)])
    row_of = np.concatenate([np.arange(len(o.t), dtype=np.int64) for o in chunks])
    order = np.lexsort((positions, times))
    unique = np.unique(times)
    text = np.datetime_as_string(unique.astype("datetime64[ms]"), unit="ms")
    stamps = dict(zip(unique.tolist(), (f"{s}Z" for s in text.tolist()), strict=True))
    out: list[Reading] = []
    append = out.append
    for c, r, t in zip(
        chunk_of[order].tolist(), row_of[order].tolist(), times[order].tolist(), strict=True
    ):
        ids, attrs = columns[c]
        entity, observed = ids[r], stamps[t]
        for name, unit, values in attrs:
            if unit is None:
                append(
                    {
                        "entity": entity,
                        "attribute": name,
                        "value": values[r],
                        "observedAt": observed,
                    }
                )
            else:
                append(
                    {
                        "entity": entity,
                        "attribute": name,
                        "value": values[r],
                        "observedAt": observed,
                        "unitCode": unit,
                    }
                )
    return out


def _columns(o: Observed) -> tuple[list[str], list[tuple[str, str | None, list[Any]]]]:
    """Python values per attribute (rounded as published) and the entity id per observation."""
    all_ids = o.group.ids
    ids = [all_ids[i] for i in o.idx.tolist()]
    attrs = []
    for a in ATTRIBUTES[o.group.type]:
        raw = o.values[a.name]
        if a.kind == "float":
            values: list[Any] = (np.round(raw, a.decimals) + 0.0).tolist()  # + 0.0: no -0.0
        elif a.kind == "int":
            values = np.rint(raw).astype(np.int64).tolist()
        elif a.kind == "bool":
            values = raw.astype(bool).tolist()
        else:
            values = [a.codes[c] for c in raw.astype(np.int64).tolist()]
        attrs.append((a.name, a.unit, values))
    return ids, attrs


def count_readings(observed: Iterable[Observed]) -> int:
    return sum(len(o.t) * len(ATTRIBUTES[o.group.type]) for o in observed)

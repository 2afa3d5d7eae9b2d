"""The temporal representation of entities: raw instances, simplified values, aggregations.

Aggregations read the rollups for every period aligned to a rollup width (hour, day) and
the raw samples only for the periods that are not (typically the last, cut short by the range),
so a year of per-minute data costs a few thousand rollup rows instead of half a million samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from cityioc.core.clock import iso_ms
from cityioc.hub.attributes import instances
from cityioc.hub.models import StoredEntity
from cityioc.hub.readings import type_from_urn
from cityioc.hub.temporal import (
    Aggregated,
    BucketList,
    Duration,
    Partials,
    TimeRange,
    aggregate_from_rollups,
    aggregate_samples,
    bucket_starts,
    rollups_can_answer,
)
from cityioc.store.codec import is_number
from cityioc.store.port import ROLLUP_WIDTHS_MS, SeriesKey, Store

TemporalForm = Literal["normalized", "temporalValues", "aggregatedValues"]


@dataclass(frozen=True, slots=True)
class TemporalQuery:
    time_range: TimeRange
    form: TemporalForm = "normalized"
    attrs: frozenset[str] | None = None  # expanded names; None: all
    last_n: int | None = None
    methods: tuple[str, ...] = ()
    period: Duration | None = None


async def temporal_entity(
    store: Store, tenant: str, entity_id: str, current: StoredEntity | None, query: TemporalQuery
) -> dict[str, Any] | None:
    """The entity's history in the asked form (expanded names), or None if nothing is known."""
    keys = [
        k
        for k in await store.series_of(tenant, entity_id)
        if query.attrs is None or k.attr in query.attrs
    ]
    if current is None and not keys:
        return None
    types = current.types if current is not None else [type_from_urn(entity_id) or "Thing"]
    out: dict[str, Any] = {"id": entity_id, "type": types[0] if len(types) == 1 else types}
    if query.form == "aggregatedValues":
        for key in keys:
            kind, unit = _kind_of(current, key)
            aggregated = await _aggregate(store, tenant, key, query, numeric=_numeric(current, key))
            if any(aggregated.values()):
                _add(out, key, {"type": kind, **aggregated, **({"unitCode": unit} if unit else {})})
        return out
    tr = query.time_range
    data = await store.read_series(tenant, keys, tr.start_ms, tr.end_ms, query.last_n)
    for key, series in data.items():
        if len(series.times) == 0:
            continue
        kind, unit = _kind_of(current, key)
        member = "object" if kind == "Relationship" else "value"
        times = series.times.tolist()
        if query.form == "temporalValues":
            values = [[v, iso_ms(t)] for t, v in zip(times, series.values, strict=True)]
            _add(out, key, {"type": kind, "values": values})
        else:
            extra = {"unitCode": unit} if unit else {}
            ds = {"datasetId": key.dataset_id} if key.dataset_id else {}
            instances_out = [
                {"type": kind, member: v, "observedAt": iso_ms(t), **extra, **ds}
                for t, v in zip(times, series.values, strict=True)
            ]
            out.setdefault(key.attr, []).extend(instances_out)
    return out


def _add(out: dict[str, Any], key: SeriesKey, value: dict[str, Any]) -> None:
    if key.dataset_id:
        value = {**value, "datasetId": key.dataset_id}
        existing = out.get(key.attr)
        out[key.attr] = [
            *(existing if isinstance(existing, list) else [existing] if existing else []),
            value,
        ]
    else:
        out[key.attr] = value


def _current_instance(current: StoredEntity | None, key: SeriesKey) -> dict[str, Any] | None:
    if current is None or key.attr not in current.doc:
        return None
    for inst in instances(current.doc[key.attr]):
        if inst.get("datasetId", "") == key.dataset_id:
            return inst
    return None


def _kind_of(current: StoredEntity | None, key: SeriesKey) -> tuple[str, str | None]:
    inst = _current_instance(current, key)
    if inst is None:
        return "Property", None
    return str(inst.get("type", "Property")), inst.get("unitCode")


def _numeric(current: StoredEntity | None, key: SeriesKey) -> bool:
    inst = _current_instance(current, key)
    return inst is not None and inst.get("type") == "Property" and is_number(inst.get("value"))


async def _aggregate(
    store: Store, tenant: str, key: SeriesKey, query: TemporalQuery, *, numeric: bool
) -> Aggregated:
    tr = query.time_range
    extent = await store.series_extent(tenant, key)
    if extent is None:
        return {m: [] for m in query.methods}
    start = tr.start_ms if tr.start_ms is not None else extent[0]
    end = tr.end_ms if tr.end_ms is not None else extent[1] + 1
    buckets = bucket_starts(start, end, query.period or Duration())
    if not buckets:
        return {m: [] for m in query.methods}
    bl = buckets if isinstance(buckets, BucketList) else BucketList(*_columns(buckets))
    width = _rollup_width(bl, query.methods) if numeric else None
    if width is None:
        return await _from_raw(store, tenant, key, bl, query.methods)
    aligned = (bl.starts % width == 0) & (bl.ends % width == 0)
    inside = BucketList(bl.starts[aligned], bl.ends[aligned])
    rollups = await store.read_rollups(
        tenant, key, width, int(inside.starts[0]), int(inside.ends[-1])
    )
    partials = Partials(rollups.n, rollups.sum, rollups.sumsq, rollups.mn, rollups.mx)
    result = aggregate_from_rollups(rollups.buckets, partials, width, inside, query.methods)
    for i in np.flatnonzero(~aligned).tolist():  # ragged edges: few, each from its raw samples
        one = BucketList(bl.starts[i : i + 1], bl.ends[i : i + 1])
        for method, rows in (await _from_raw(store, tenant, key, one, query.methods)).items():
            result[method] += rows
    if not aligned.all():
        for rows in result.values():
            rows.sort(key=lambda row: str(row[1]))
    return result


def _columns(buckets: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    arr = np.asarray(buckets, dtype=np.int64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


def _rollup_width(buckets: BucketList, methods: Sequence[str]) -> int | None:
    """The widest rollup that answers most periods exactly (None: use the raw samples)."""
    for width in sorted(ROLLUP_WIDTHS_MS, reverse=True):
        aligned = (buckets.starts % width == 0) & (buckets.ends % width == 0)
        count = int(aligned.sum())
        if count and count * 2 >= len(buckets):
            subset = BucketList(buckets.starts[aligned], buckets.ends[aligned])
            if rollups_can_answer(subset, methods, width):
                return width
    return None


async def _from_raw(
    store: Store,
    tenant: str,
    key: SeriesKey,
    buckets: Sequence[tuple[int, int]],
    methods: Sequence[str],
) -> Aggregated:
    lo, hi = buckets[0][0], buckets[-1][1]
    data = (await store.read_series(tenant, [key], lo, hi)).get(key)
    if data is None:
        return {m: [] for m in methods}
    values: Any = data.values
    if values and all(type(v) is float for v in values):
        values = np.asarray(values, dtype=np.float64)
    return aggregate_samples(data.times, values, buckets, methods)

"""Rate of change per series, the rate rules' screen: the last reading of each series that rate
rules watch is kept once per (attribute, entity), shared by those rules (``TenantMemory.lasts``)."""

from __future__ import annotations

from collections.abc import Iterable

from cityioc.alerts.engine_state import TenantMemory
from cityioc.alerts.rules.conditions import default_instance
from cityioc.core.clock import parse_datetime_ms
from cityioc.hub.models import StoredEntity

Previous = dict[str, tuple[int, float] | None]


def change_rates(
    attrs: Iterable[str],
    memory: TenantMemory,
    previous: Previous,
    entity: StoredEntity,
    changed: set[str] | None,
    now: int,
) -> dict[str, float]:
    """This change's rate per millisecond of each of ``attrs`` it moved, keeping its reading as
    the last one; the readings before it go to ``previous``, what the rules see."""
    rates: dict[str, float] = {}
    for attr in attrs:
        if changed is not None and attr not in changed:
            continue
        inst = default_instance(entity.doc, attr)
        if inst is None:
            continue
        value = inst.get("value")
        if not isinstance(value, int | float) or isinstance(value, bool):
            continue
        at = inst.get("observedAt")
        try:
            t = parse_datetime_ms(at) if isinstance(at, str) else entity.modified_at or now
        except ValueError:
            t = entity.modified_at or now
        last = memory.lasts.get((attr, entity.id))
        if last is not None and t < last[0]:
            continue  # older than what was seen: out of order, ignored
        memory.set_last(attr, entity.id, [t, value])
        previous[attr] = (last[0], last[1]) if last is not None else None
        if last is not None and t > last[0]:
            rates[attr] = (value - last[1]) / (t - last[0])
    return rates

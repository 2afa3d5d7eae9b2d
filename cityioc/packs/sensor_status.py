"""Whether each sensor is online, decided once on the server for every page and report.

A sensor is online while its last update — the newest ``observedAt`` of its attributes — is within
its type's expected reporting interval (``SensorType.report_every_ms``) × ``OFFLINE_TOLERANCE``;
a sensor that never reported is offline. Pure: entities and a time in, states and totals out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cityioc.core.clock import parse_datetime_ms
from cityioc.hub.attributes import instances
from cityioc.hub.models import StoredEntity
from cityioc.packs.sensor_types import REPORT_EVERY_MS, SENSOR_TYPES

# Reporting intervals missed before a sensor counts as offline: 3 × 5 minutes is the quarter of an
# hour after which scenario 3 calls a sensor silent (and the pack's missing-data rule fires).
OFFLINE_TOLERANCE = 3


@dataclass(frozen=True, slots=True)
class SensorState:
    id: str
    type: str  # the short type name (core context)
    last_update: int | None  # epoch ms; None: never reported
    online: bool


@dataclass(slots=True)
class TypeTotals:
    type: str
    report_every_ms: int
    offline_after_ms: int
    online: int = 0
    total: int = 0

    @property
    def offline(self) -> int:
        return self.total - self.online


def report_every_ms(type_name: str) -> int:
    spec = SENSOR_TYPES.get(type_name)
    return spec.report_every_ms if spec is not None else REPORT_EVERY_MS


def offline_after_ms(type_name: str, tolerance: float = OFFLINE_TOLERANCE) -> int:
    return round(report_every_ms(type_name) * tolerance)


def last_update(entity: StoredEntity) -> int | None:
    """The newest ``observedAt`` of any instance of any attribute (unparseable ones skipped)."""
    newest: int | None = None
    for value in entity.doc.values():
        if not isinstance(value, dict | list):
            continue
        for inst in instances(value):
            at = inst.get("observedAt") if isinstance(inst, dict) else None
            if not isinstance(at, str):
                continue
            try:
                ms = parse_datetime_ms(at)
            except ValueError:
                continue
            if newest is None or ms > newest:
                newest = ms
    return newest


def sensor_state(
    entity: StoredEntity, type_name: str, now: int, tolerance: float = OFFLINE_TOLERANCE
) -> SensorState:
    at = last_update(entity)
    online = at is not None and now - at <= offline_after_ms(type_name, tolerance)
    return SensorState(entity.id, type_name, at, online)


def totals(
    states: Iterable[SensorState], types: Iterable[str], tolerance: float = OFFLINE_TOLERANCE
) -> list[TypeTotals]:
    """Online / total per type, in the order of ``types`` (every one listed, even when empty)."""
    out = {t: TypeTotals(t, report_every_ms(t), offline_after_ms(t, tolerance)) for t in types}
    for state in states:
        row = out.get(state.type)
        if row is None:
            row = out[state.type] = TypeTotals(
                state.type, report_every_ms(state.type), offline_after_ms(state.type, tolerance)
            )
        row.total += 1
        row.online += state.online
    return list(out.values())

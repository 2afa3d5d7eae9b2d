"""The compact bulk path for devices and gateways: many ``{entity, attribute, value, observedAt}``.

Each reading becomes one sample of the attribute's time series; the entity's current state keeps,
per attribute, the reading with the latest ``observedAt``. Bad items are reported by index and the
good ones are stored in the same commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from cityioc.core.clock import iso_ms, parse_datetime_ms
from cityioc.core.errors import BadRequestData, CityError, ResourceNotFound
from cityioc.hub.models import Mutation, Sample, StoredEntity

# Expands a plain attribute or type term into its stored name.
Expand = Callable[[str], str]


class Reading(NamedTuple):  # a tuple: one is built per reading, and tuples build fast
    entity_id: str
    attr: str  # expanded
    value: Any
    t: int
    dataset_id: str = ""
    unit_code: str | None = None
    entity_type: str | None = None  # expanded; for entities created on first reading


@dataclass(slots=True)
class ReadingsResult:
    accepted: int = 0
    errors: list[tuple[int, CityError]] = field(default_factory=list)


class _Parser:
    """Parses one batch; memoises what repeats across its items (times, names, types)."""

    def __init__(self, expand_attr: Expand, expand_type: Expand, now: int) -> None:
        self.expand_attr = expand_attr
        self.expand_type = expand_type
        self.now = now
        self.times: dict[str, int] = {}
        self.entity_types: dict[str, str | None] = {}

    def time_of(self, observed: Any) -> int:
        if observed is None:
            return self.now
        if not isinstance(observed, str):
            raise BadRequestData("'observedAt' must be an ISO 8601 date-time string")
        t = self.times.get(observed)
        if t is None:
            try:
                t = self.times[observed] = parse_datetime_ms(observed)
            except ValueError as err:
                raise BadRequestData(
                    f"'observedAt' {observed!r} is not an ISO 8601 date-time"
                ) from err
        return t

    def type_of(self, eid: str, given: Any) -> str | None:
        if given is not None:
            if not isinstance(given, str):
                raise BadRequestData("'type' must be a string")
            return self.expand_type(given)
        if eid not in self.entity_types:
            found = type_from_urn(eid)
            self.entity_types[eid] = self.expand_type(found) if found else None
        return self.entity_types[eid]

    def parse(self, item: Any) -> Reading:
        if not isinstance(item, dict):
            raise BadRequestData("a reading must be a JSON object")
        eid, attr, value = item.get("entity"), item.get("attribute"), item.get("value")
        if not isinstance(eid, str) or ":" not in eid:
            raise BadRequestData("'entity' must be an entity id (a URI)")
        if not isinstance(attr, str) or not attr:
            raise BadRequestData("'attribute' must be a non-empty string")
        if value is None:
            raise BadRequestData("'value' is required and cannot be null")
        unit = item.get("unitCode")
        dataset = item.get("datasetId", "")
        if not isinstance(dataset, str) or (unit is not None and not isinstance(unit, str)):
            raise BadRequestData("'datasetId' and 'unitCode' must be strings")
        return Reading(
            eid,
            self.expand_attr(attr),
            value,
            self.time_of(item.get("observedAt")),
            dataset,
            unit,
            self.type_of(eid, item.get("type")),
        )


def parse_readings(
    items: Sequence[Any], expand_attr: Expand, expand_type: Expand, now: int
) -> tuple[list[tuple[int, Reading]], list[tuple[int, CityError]]]:
    parser = _Parser(expand_attr, expand_type, now)
    good: list[tuple[int, Reading]] = []
    bad: list[tuple[int, CityError]] = []
    for index, item in enumerate(items):
        try:
            good.append((index, parser.parse(item)))
        except CityError as err:
            bad.append((index, err))
    return good, bad


def type_from_urn(eid: str) -> str | None:
    """``urn:ngsi-ld:AirQualityObserved:tdm-01`` → ``AirQualityObserved``."""
    parts = eid.split(":")
    if len(parts) >= 4 and parts[0] == "urn" and parts[1] == "ngsi-ld" and parts[2]:
        return parts[2]
    return None


def decide_readings(
    readings: Sequence[tuple[int, Reading]],
    result: ReadingsResult,
    now: int,
    actor: str,
    *,
    auto_create: bool,
) -> Callable[[Mapping[str, StoredEntity]], Mutation]:
    earlier_errors = list(result.errors)

    def decide(current: Mapping[str, StoredEntity]) -> Mutation:
        # The store may run a decision more than once (a retried transaction): start afresh.
        result.errors[:] = earlier_errors
        entities: dict[str, StoredEntity] = {}
        samples: list[Sample] = []
        newest: dict[tuple[str, str, str], Reading] = {}
        for index, r in readings:
            eid = r.entity_id
            entity = entities.get(eid) or current.get(eid)
            if entity is None:
                if not auto_create or r.entity_type is None:
                    reason = "no type known to create it" if auto_create else "auto-create is off"
                    result.errors.append(
                        (index, ResourceNotFound(f"entity {eid} does not exist ({reason})"))
                    )
                    continue
                entity = StoredEntity(eid, [r.entity_type], {}, now, now, actor, actor)
            entities[eid] = entity
            samples.append(Sample(eid, r.attr, r.t, r.value, r.dataset_id))
            key = (eid, r.attr, r.dataset_id)
            best = newest.get(key)
            if best is None or r.t >= best.t:
                newest[key] = r
        result.accepted = len(samples)
        for (eid, attr, dataset), r in newest.items():
            _set_current(entities[eid], attr, dataset, r)
        for entity in entities.values():
            entity.modified_at = now
            entity.modified_by = actor
        return Mutation(upserts=list(entities.values()), samples=samples, partial=True)

    return decide


def _set_current(entity: StoredEntity, attr: str, dataset: str, r: Reading) -> None:
    """Make ``r`` the attribute's current value unless the stored one was observed later."""
    observed = iso_ms(r.t)
    existing = entity.doc.get(attr)
    if not dataset and (existing is None or type(existing) is dict):
        # The common case: one instance, no datasetId.
        if existing is not None and existing.get("observedAt", "") > observed:
            return
        new = dict(existing) if existing is not None and existing.get("type") == "Property" else {}
        new["type"] = "Property"
        new["value"] = r.value
        new["observedAt"] = observed
        if r.unit_code is not None:
            new["unitCode"] = r.unit_code
        entity.doc[attr] = new
        return
    instances = existing if isinstance(existing, list) else [existing] if existing else []
    old = next((i for i in instances if i.get("datasetId", "") == dataset), None)
    if old is not None and old.get("observedAt", "") > observed:
        return
    new = dict(old) if old is not None and old.get("type") == "Property" else {}
    new.update(type="Property", value=r.value, observedAt=observed)
    if r.unit_code is not None:
        new["unitCode"] = r.unit_code
    if dataset:
        new["datasetId"] = dataset
    kept = [i for i in instances if i is not old]
    entity.doc[attr] = [*kept, new] if kept or dataset else new

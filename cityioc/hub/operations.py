"""Pure NGSI-LD write semantics: given the stored entity and a request, the entity after it.

No I/O here: ``service`` runs these inside the store's write transaction via ``Store.mutate``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cityioc.core.clock import parse_datetime_ms
from cityioc.core.errors import BadRequestData, ResourceNotFound
from cityioc.hub.attributes import (
    MEMBERS,
    NULL,
    comparable_value,
    instances,
    merge_instance,
    normalize_attribute,
)
from cityioc.hub.models import AttributeValue, Sample, StoredEntity

ENTITY_MEMBERS = frozenset({"id", "type", "@context", "scope", "createdAt", "modifiedAt"})


@dataclass(slots=True)
class NewEntity:
    """A validated request body: id, expanded types and normalized attributes."""

    id: str
    types: list[str]
    attrs: dict[str, AttributeValue]


@dataclass(slots=True)
class AttrOutcome:
    updated: list[str] = field(default_factory=list)
    not_updated: list[tuple[str, str]] = field(default_factory=list)  # (attribute, reason)


def parse_entity(body: Any, *, require_type: bool = True, key_values: bool = False) -> NewEntity:
    if not isinstance(body, dict):
        raise BadRequestData("an entity must be a JSON object")
    eid = body.get("id")
    if not isinstance(eid, str) or not is_uri(eid):
        raise BadRequestData(f"entity id must be a URI such as urn:ngsi-ld:Type:local, not {eid!r}")
    types = parse_types(body.get("type"), required=require_type)
    return NewEntity(eid, types, parse_attrs(body, key_values=key_values))


def parse_types(raw: Any, *, required: bool = True) -> list[str]:
    if raw is None:
        if required:
            raise BadRequestData("entity type is required")
        return []
    values = raw if isinstance(raw, list) else [raw]
    if not values or not all(isinstance(t, str) and t for t in values):
        raise BadRequestData("entity type must be a non-empty string or a list of them")
    return list(dict.fromkeys(values))


def parse_attrs(body: Mapping[str, Any], *, key_values: bool = False) -> dict[str, AttributeValue]:
    return {
        name: normalize_attribute(name, raw, key_values=key_values)
        for name, raw in body.items()
        if name not in ENTITY_MEMBERS
    }


def is_uri(text: str) -> bool:
    scheme, sep, rest = text.partition(":")
    return bool(sep and rest and scheme and scheme[0].isalpha() and " " not in text)


def samples_for(entity_id: str, attrs: Mapping[str, AttributeValue], now: int) -> list[Sample]:
    out = []
    for name, attr in attrs.items():
        for inst in instances(attr):
            observed = inst.get("observedAt")
            t = parse_datetime_ms(observed) if observed else now
            out.append(
                Sample(entity_id, name, t, comparable_value(inst), inst.get("datasetId", ""))
            )
    return out


def created(new: NewEntity, now: int, actor: str) -> StoredEntity:
    return StoredEntity(new.id, new.types, dict(new.attrs), now, now, actor, actor)


def touched(entity: StoredEntity, now: int, actor: str) -> StoredEntity:
    entity.modified_at = now
    entity.modified_by = actor
    return entity


def require(current: Mapping[str, StoredEntity], eid: str) -> StoredEntity:
    found = current.get(eid)
    if found is None:
        raise ResourceNotFound(f"entity {eid} does not exist")
    return found


def merge_types(entity: StoredEntity, types: list[str]) -> None:
    for t in types:
        if t not in entity.types:
            entity.types.append(t)


def merge_entity(entity: StoredEntity, fragment: NewEntity) -> dict[str, AttributeValue]:
    """NGSI-LD merge: attributes merged (sub-attributes kept), ``urn:ngsi-ld:null`` deletes."""
    merge_types(entity, fragment.types)
    written: dict[str, AttributeValue] = {}
    for name, attr in fragment.attrs.items():
        for inst in instances(attr):
            if inst.get("value") == NULL or inst.get("object") == NULL:
                _delete_instance(entity, name, inst.get("datasetId"), delete_all=False)
                continue
            old = _find_instance(entity.doc.get(name), inst.get("datasetId"))
            merged = (
                {**old, **inst} if old is not None and old.get("type") == inst["type"] else inst
            )
            if merged.get("type") == "Relationship":
                merged.pop("value", None)
            entity.doc[name] = merge_instance(entity.doc.get(name), merged)
            written[name] = merge_instance(written.get(name), merged)
    return written


def append_attrs(
    entity: StoredEntity, attrs: Mapping[str, AttributeValue], *, no_overwrite: bool
) -> tuple[AttrOutcome, dict[str, AttributeValue]]:
    outcome, written = AttrOutcome(), dict[str, AttributeValue]()
    for name, attr in attrs.items():
        for inst in instances(attr):
            exists = _find_instance(entity.doc.get(name), inst.get("datasetId")) is not None
            if exists and no_overwrite:
                outcome.not_updated.append((name, "attribute exists and noOverwrite was asked"))
                continue
            entity.doc[name] = merge_instance(entity.doc.get(name), inst)
            written[name] = merge_instance(written.get(name), inst)
            outcome.updated.append(name)
    return outcome, written


def update_attrs(
    entity: StoredEntity, attrs: Mapping[str, AttributeValue]
) -> tuple[AttrOutcome, dict[str, AttributeValue]]:
    """PATCH …/attrs: only attributes (instances) that exist are replaced."""
    outcome, written = AttrOutcome(), dict[str, AttributeValue]()
    for name, attr in attrs.items():
        for inst in instances(attr):
            if _find_instance(entity.doc.get(name), inst.get("datasetId")) is None:
                outcome.not_updated.append((name, "attribute does not exist"))
                continue
            entity.doc[name] = merge_instance(entity.doc.get(name), inst)
            written[name] = merge_instance(written.get(name), inst)
            outcome.updated.append(name)
    return outcome, written


def patch_attr(entity: StoredEntity, name: str, fragment: Mapping[str, Any]) -> AttributeValue:
    """PATCH …/attrs/{attr}: partial update of one instance, sub-attributes merged."""
    ds = fragment.get("datasetId")
    old = _find_instance(entity.doc.get(name), ds)
    if old is None:
        raise ResourceNotFound(f"attribute {name} does not exist on {entity.id}")
    merged = dict(old)
    for key, val in fragment.items():
        if (key in MEMBERS and key != "type") or key != "type":
            merged[key] = val
    normalized = normalize_attribute(name, merged)
    entity.doc[name] = merge_instance(entity.doc.get(name), instances(normalized)[0])
    return normalized


def delete_attr(entity: StoredEntity, name: str, dataset_id: str | None, delete_all: bool) -> None:
    if name not in entity.doc:
        raise ResourceNotFound(f"attribute {name} does not exist on {entity.id}")
    if not _delete_instance(entity, name, dataset_id, delete_all=delete_all):
        raise ResourceNotFound(f"attribute {name} has no instance with datasetId {dataset_id}")


def _find_instance(attr: AttributeValue | None, dataset_id: str | None) -> dict[str, Any] | None:
    if attr is None:
        return None
    for inst in instances(attr):
        if inst.get("datasetId") == dataset_id:
            return inst
    return None


def _delete_instance(
    entity: StoredEntity, name: str, dataset_id: str | None, *, delete_all: bool
) -> bool:
    attr = entity.doc.get(name)
    if attr is None:
        return False
    if delete_all:
        del entity.doc[name]
        return True
    kept = [i for i in instances(attr) if i.get("datasetId") != dataset_id]
    if len(kept) == len(instances(attr)):
        return False
    if not kept:
        del entity.doc[name]
    elif len(kept) == 1 and "datasetId" not in kept[0]:
        entity.doc[name] = kept[0]
    else:
        entity.doc[name] = kept
    return True

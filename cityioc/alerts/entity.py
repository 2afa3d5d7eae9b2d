"""Alert entities in stored form: built from content, changed by lifecycle steps, diffed for audit.

Pure functions over expanded names; ``service`` runs them inside ``Hub.apply`` decisions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from cityioc.alerts.models import AlertContent
from cityioc.alerts.names import ALERT, ALERT_PREFIX, LANGUAGE, RELATIONSHIPS, SHORT, N
from cityioc.core.clock import iso_ms
from cityioc.hub.attributes import comparable_value
from cityioc.hub.models import AttributeObject, AttributeValue, Sample, StoredEntity

UNSAMPLED = frozenset({N["location"], N["comments"], N["affectedEntities"]})


def chain_id(namespace: str, source: str, previous: str | None) -> str:
    """The id of the next alert of (namespace, source) after ``previous`` (None: the first).

    Deterministic, so every process names the same episode the same way: two processes raising
    the same alert at once meet on one id, and the store lets only one create it.
    """
    digest = hashlib.sha256(f"{namespace}\n{source}\n{previous or ''}".encode()).hexdigest()
    slug = "".join(c if c.isalnum() or c in "-." else "-" for c in namespace)[:40]
    return f"{ALERT_PREFIX}{slug}-{digest[:16]}"


def attribute(name: str, value: Any) -> AttributeObject:
    """The stored form of one alert attribute (``name`` expanded)."""
    if name in RELATIONSHIPS:
        return {"type": "Relationship", "object": value}
    if name in LANGUAGE:
        return {"type": "LanguageProperty", "languageMap": dict(value)}
    if name == N["location"]:
        return {"type": "GeoProperty", "value": value}
    return {"type": "Property", "value": value}


def content_attrs(content: AlertContent) -> dict[str, Any]:
    """Expanded name → plain value of everything the content says (lifecycle aside)."""
    values: dict[str, Any] = {
        N["name"]: content.title.get("vi") or next(iter(content.title.values()), ""),
        N["title"]: content.title,
        N["category"]: content.category,
        N["subCategory"]: content.sub_category,
        N["severity"]: content.severity,
        N["alertSource"]: content.source,
        N["capCategory"]: content.cap_category,
        N["capSeverity"]: content.cap_severity,
        N["capUrgency"]: content.cap_urgency,
        N["capCertainty"]: content.cap_certainty,
        N["incidentPolicy"]: content.incident_policy,
    }
    optional = {
        N["description"]: content.description,
        N["location"]: content.location,
        N["areaServed"]: content.area_served,
        N["refRule"]: content.rule,
        N["validFrom"]: iso_ms(content.valid_from) if content.valid_from is not None else None,
        N["validTo"]: iso_ms(content.valid_to) if content.valid_to is not None else None,
    }
    values.update({k: v for k, v in optional.items() if v is not None})
    values.update({N.get(k, k): v for k, v in content.extra.items() if v is not None})
    return values


def new_alert(alert_id: str, content: AlertContent, at: int, now: int, actor: str) -> StoredEntity:
    values = content_attrs(content) | {
        N["dateIssued"]: iso_ms(at),
        N["status"]: "active",
        N["acknowledged"]: False,
        N["count"]: 1,
        N["firstSeen"]: iso_ms(at),
        N["lastSeen"]: iso_ms(at),
        N["comments"]: [],
    }
    doc: dict[str, AttributeValue] = {k: attribute(k, v) for k, v in values.items()}
    return StoredEntity(alert_id, [ALERT], doc, now, now, actor, actor)


def plain(entity: StoredEntity, name: str) -> Any:
    found = entity.doc.get(name)
    if found is None or isinstance(found, list):
        return None
    return comparable_value(found)


def change(entity: StoredEntity, values: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Set ``values`` (expanded name → plain value, None deletes) on the entity; returns what
    changed as {expanded name: (before, after)}."""
    changed: dict[str, tuple[Any, Any]] = {}
    for name, value in values.items():
        before = plain(entity, name)
        if before == value:
            continue
        if value is None:
            entity.doc.pop(name, None)
        else:
            entity.doc[name] = attribute(name, value)
        changed[name] = (before, value)
    return changed


def audit_detail(changed: Mapping[str, tuple[Any, Any]]) -> dict[str, Any]:
    return {
        "before": {SHORT.get(k, k): v[0] for k, v in changed.items()},
        "after": {SHORT.get(k, k): v[1] for k, v in changed.items()},
    }


def samples(entity: StoredEntity, names: Iterable[str], now: int) -> list[Sample]:
    """History samples of the changed attributes (not of the bulky ones)."""
    out = []
    for name in names:
        if name in UNSAMPLED or name not in entity.doc:
            continue
        inst = entity.doc[name]
        if isinstance(inst, dict):
            out.append(Sample(entity.id, name, now, comparable_value(inst)))
    return out


def is_alert(entity: StoredEntity) -> bool:
    return ALERT in entity.types

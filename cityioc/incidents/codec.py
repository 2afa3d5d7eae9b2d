"""Incident ↔ NGSI-LD entity (normalized form, core-context names; docs/incidents.md lists them).

``to_attributes`` gives the compact attribute map of an incident; ``from_entity`` reads a stored
entity back. Empty values are left out (NGSI-LD has no null attribute values), so an attribute
appears on the entity only while it means something.
"""

from __future__ import annotations

from typing import Any

from cityioc.core.clock import iso_ms, parse_datetime_ms
from cityioc.hub.context import core_context
from cityioc.hub.models import StoredEntity
from cityioc.hub.render import View, render
from cityioc.incidents import sla, sop
from cityioc.incidents.models import (
    AREA_PREFIX,
    INCIDENT_TYPE,
    Activity,
    Breach,
    Comment,
    Incident,
    Status,
)

STAMPS = ("acknowledged", "dispatched", "started", "resolved", "closed", "cancelled", "reopened")
# Every attribute this module writes; others (added through NGSI-LD by someone else) are kept.
MANAGED = frozenset(
    {
        "title", "description", "status", "category", "capCategory", "capSeverity", "capUrgency",
        "capCertainty", "location", "areaServed", "refArea", "refAgency", "refAgencies",
        "assignee", "refAlerts", "refReports", "source", "openedAt", "openedBy",
        "slaAcknowledgeDueAt", "slaDueAt", "slaBreached", "slaBreaches", "nextDueAt", "sop",
        "activities", "currentStep", "comments", "resolutionNote", "resolutionPhotos",
        "cancelReason",
        *(f"{s}At" for s in STAMPS), *(f"{s}By" for s in STAMPS),
    }
)  # fmt: skip


def _p(value: Any) -> dict[str, Any]:
    return {"type": "Property", "value": value}


def _r(target: str | list[str]) -> dict[str, Any]:
    return {"type": "Relationship", "object": target}


def to_attributes(incident: Incident) -> dict[str, dict[str, Any]]:
    """The incident's attributes (compact names, normalized), without the empty ones."""
    i = incident
    out: dict[str, dict[str, Any]] = {
        "title": {"type": "LanguageProperty", "languageMap": dict(i.title)},
        "status": _p(i.status.value),
        "capCategory": _p(i.cap_category),
        "capSeverity": _p(i.cap_severity),
        "capUrgency": _p(i.cap_urgency),
        "capCertainty": _p(i.cap_certainty),
        "source": _p(i.source),
        "openedAt": _p(iso_ms(i.opened_at)),
        "openedBy": _p(i.opened_by),
        "slaBreached": _p(i.sla_breached),
    }
    optional: dict[str, Any] = {
        "description": i.description,
        "category": i.category,
        "areaServed": i.area_name,
        "assignee": i.assignee,
        "sop": i.sop,
        "resolutionNote": i.resolution_note,
        "cancelReason": i.cancel_reason,
        "resolutionPhotos": list(i.photos) or None,
        "slaAcknowledgeDueAt": _iso(i.sla_acknowledge_due),
        "slaDueAt": _iso(i.sla_resolve_due),
        "nextDueAt": _iso(_next_due(i)),
        "slaBreaches": [_breach_value(b) for b in i.breaches] or None,
        "activities": [_activity_value(a) for a in i.activities] or None,
        "currentStep": _current_step(i),
        "comments": [{"at": iso_ms(c.at), "by": c.by, "text": c.text} for c in i.comments] or None,
    }
    for stamp in STAMPS:
        if stamp in i.stamps:
            optional[f"{stamp}At"] = iso_ms(i.stamps[stamp])
            optional[f"{stamp}By"] = i.stamped_by.get(stamp)
    out.update({name: _p(value) for name, value in optional.items() if value is not None})
    if i.location is not None:
        out["location"] = {"type": "GeoProperty", "value": i.location}
    if i.area is not None:
        out["refArea"] = _r(AREA_PREFIX + i.area)
    if i.agency is not None:
        out["refAgency"] = _r(i.agency)
    if i.agencies:
        out["refAgencies"] = _r(list(i.agencies))
    if i.alerts:
        out["refAlerts"] = _r(list(i.alerts))
    if i.reports:
        out["refReports"] = _r(list(i.reports))
    return out


def expanded_attributes(incident: Incident) -> dict[str, Any]:
    """``to_attributes`` with expanded names: what the hub stores."""
    core = core_context()
    return {core.expand_term(k): v for k, v in to_attributes(incident).items()}


def managed_expanded() -> frozenset[str]:
    core = core_context()
    return frozenset(core.expand_term(k) for k in MANAGED)


def incident_type() -> str:
    return core_context().expand_type(INCIDENT_TYPE)


def key_values(entity: StoredEntity) -> dict[str, Any]:
    """The entity as compact name → value (Relationships give their object)."""
    core = core_context()
    return core.compact_entity_keys(render(entity, View(form="keyValues")), key_values=True)


def from_entity(entity: StoredEntity) -> Incident:
    kv = key_values(entity)
    title = kv.get("title")
    stamps: dict[str, int] = {}
    stamped_by: dict[str, str] = {}
    for stamp in STAMPS:
        at = kv.get(f"{stamp}At")
        if isinstance(at, str):
            stamps[stamp] = parse_datetime_ms(at)
            stamped_by[stamp] = str(kv.get(f"{stamp}By") or "")
    area = kv.get("refArea")
    return Incident(
        id=entity.id,
        title=dict(title) if isinstance(title, dict) else {"vi": str(title or entity.id)},
        status=Status(kv.get("status", "new")),
        description=kv.get("description"),
        category=kv.get("category"),
        cap_category=kv.get("capCategory", "Other"),
        cap_severity=kv.get("capSeverity", "Unknown"),
        cap_urgency=kv.get("capUrgency", "Unknown"),
        cap_certainty=kv.get("capCertainty", "Unknown"),
        location=kv.get("location"),
        area=area.removeprefix(AREA_PREFIX) if isinstance(area, str) else None,
        area_name=kv.get("areaServed"),
        agency=kv.get("refAgency"),
        agencies=_list(kv.get("refAgencies")),
        assignee=kv.get("assignee"),
        alerts=_list(kv.get("refAlerts")),
        reports=_list(kv.get("refReports")),
        source=kv.get("source", "manual"),
        opened_at=_ms(kv.get("openedAt")) or entity.created_at,
        opened_by=kv.get("openedBy", entity.created_by),
        stamps=stamps,
        stamped_by=stamped_by,
        sla_acknowledge_due=_ms(kv.get("slaAcknowledgeDueAt")),
        sla_resolve_due=_ms(kv.get("slaDueAt")),
        breaches=[
            Breach(b["kind"], parse_datetime_ms(b["dueAt"]), parse_datetime_ms(b["detectedAt"]))
            for b in kv.get("slaBreaches") or []
        ],
        sop=kv.get("sop"),
        activities=[_activity(a) for a in kv.get("activities") or []],
        comments=[
            Comment(parse_datetime_ms(c["at"]), c["by"], c["text"])
            for c in kv.get("comments") or []
        ],
        resolution_note=kv.get("resolutionNote"),
        photos=list(kv.get("resolutionPhotos") or []),
        cancel_reason=kv.get("cancelReason"),
    )


def _next_due(incident: Incident) -> int | None:
    """The earliest time the SLA tick must look at the incident again (SLA or a late step)."""
    if not incident.is_open:
        return None
    times = [t for t in (sla.next_deadline(incident), sop.next_due(incident.activities)) if t]
    return min(times) if times else None


def _current_step(incident: Incident) -> int | None:
    active = sop.current(incident.activities)
    return active.n if active is not None else None


def _iso(ms: int | None) -> str | None:
    return iso_ms(ms) if ms is not None else None


def _ms(text: Any) -> int | None:
    return parse_datetime_ms(text) if isinstance(text, str) else None


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _breach_value(b: Breach) -> dict[str, Any]:
    return {"kind": b.kind, "dueAt": iso_ms(b.due_at), "detectedAt": iso_ms(b.detected_at)}


def _activity_value(a: Activity) -> dict[str, Any]:
    out: dict[str, Any] = {
        "n": a.n,
        "key": a.key,
        "title": a.title,
        "role": a.role,
        "expectedMinutes": a.expected_minutes,
        "status": a.status,
        "late": a.late,
    }
    if a.record_fields:
        out["recordFields"] = a.record_fields
    for name, ms in (("startedAt", a.started_at), ("dueAt", a.due_at)):
        if ms is not None:
            out[name] = iso_ms(ms)
    if a.completed_at is not None:
        out["completedAt"] = iso_ms(a.completed_at)
    if a.by is not None:
        out["by"] = a.by
    if a.reason is not None:
        out["reason"] = a.reason
    if a.record:
        out["record"] = a.record
    return out


def _activity(v: dict[str, Any]) -> Activity:
    return Activity(
        n=int(v["n"]),
        key=str(v["key"]),
        title=dict(v.get("title") or {}),
        role=str(v.get("role", "operator")),
        expected_minutes=int(v.get("expectedMinutes", 0)),
        record_fields=list(v.get("recordFields") or []),
        status=str(v.get("status", "pending")),
        started_at=_ms(v.get("startedAt")),
        due_at=_ms(v.get("dueAt")),
        completed_at=_ms(v.get("completedAt")),
        by=v.get("by"),
        reason=v.get("reason"),
        record=dict(v.get("record") or {}),
        late=bool(v.get("late", False)),
    )

"""Incidents as JSON for the REST API (camelCase, times as ISO 8601 UTC)."""

from __future__ import annotations

from typing import Any

from cityioc.core.clock import iso_ms
from cityioc.incidents import access, lifecycle, sop
from cityioc.incidents.access import Actor
from cityioc.incidents.models import STATUS_LABELS, Activity, Incident
from cityioc.store.port import AuditRecord


def _iso(ms: int | None) -> str | None:
    return iso_ms(ms) if ms is not None else None


def summary(incident: Incident, now: int) -> dict[str, Any]:
    i = incident
    active = sop.current(i.activities)
    overdue = i.is_open and (
        i.sla_breached
        or (i.sla_resolve_due is not None and now > i.sla_resolve_due)
        or (i.status == "new" and i.sla_acknowledge_due is not None and now > i.sla_acknowledge_due)
    )
    return {
        "id": i.id,
        "title": i.title,
        "status": i.status.value,
        "statusLabel": STATUS_LABELS[i.status],
        "category": i.category,
        "capCategory": i.cap_category,
        "capSeverity": i.cap_severity,
        "capUrgency": i.cap_urgency,
        "capCertainty": i.cap_certainty,
        "area": i.area,
        "areaServed": i.area_name,
        "agency": i.agency,
        "assignee": i.assignee,
        "source": i.source,
        "openedAt": iso_ms(i.opened_at),
        "sla": {
            "acknowledgeDueAt": _iso(i.sla_acknowledge_due),
            "dueAt": _iso(i.sla_resolve_due),
            "breached": i.sla_breached,
            "overdue": overdue,
        },
        "currentStep": active.n if active is not None else None,
        "location": i.location,
    }


def details(
    incident: Incident,
    now: int,
    actor: Actor,
    *,
    audit: list[AuditRecord] | None = None,
    alerts: list[dict[str, Any]] | None = None,
    photo_url: str | None = None,
) -> dict[str, Any]:
    i = incident
    out = summary(i, now)
    out.update(
        {
            "description": i.description,
            "agencies": i.agencies,
            "alerts": alerts if alerts is not None else [{"id": a} for a in i.alerts],
            "reports": i.reports,
            "openedBy": i.opened_by,
            "transitions": {
                stamp: {"at": iso_ms(at), "by": i.stamped_by.get(stamp)}
                for stamp, at in sorted(i.stamps.items(), key=lambda s: s[1])
            },
            "sop": i.sop,
            "activities": [activity(a, i.activities, now) for a in i.activities],
            "comments": [{"at": iso_ms(c.at), "by": c.by, "text": c.text} for c in i.comments],
            "resolution": {
                "note": i.resolution_note,
                "photos": [f"{photo_url}/{name}" if photo_url else name for name in i.photos],
            },
            "cancelReason": i.cancel_reason,
            # an involved agency that does not lead it reads and comments, and moves nothing
            "actions": [a.value for a in lifecycle.actions_from(i.status, actor.role or "")]
            if access.may_change(actor, i)
            else [],
            # what the assign form may offer this caller (the service enforces the same rules)
            "canAssign": i.is_open and access.may_change(actor, i),
            "canHandOver": i.is_open and actor.is_staff,
        }
    )
    out["sla"]["breaches"] = [
        {"kind": b.kind, "dueAt": iso_ms(b.due_at), "detectedAt": iso_ms(b.detected_at)}
        for b in i.breaches
    ]
    if audit is not None:
        out["audit"] = [
            {"at": iso_ms(r.at), "actor": r.actor, "action": r.action, "detail": r.detail}
            for r in audit
        ]
    return out


def activity(a: Activity, all_: list[Activity], now: int) -> dict[str, Any]:
    return {
        "n": a.n,
        "key": a.key,
        "title": a.title,
        "role": a.role,
        "expectedMinutes": a.expected_minutes,
        "state": sop.state(a, now),
        "late": a.late or sop.state(a, now) == "late",
        "startedAt": _iso(a.started_at),
        "dueAt": _iso(a.due_at),
        "completedAt": _iso(a.completed_at),
        "by": a.by,
        "reason": a.reason,
        "record": a.record,
        "recordFields": a.record_fields,
        "inputs": sop.inputs(all_, a.n),
    }

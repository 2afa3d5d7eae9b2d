"""Incidents from alerts: an operator confirms an alert, or the rule's policy says ``auto``.

The incident takes the alert's CAP fields, title, location and area; its category comes from
the pack (the category whose ``alert`` link matches the alert's category and subCategory, else the
category of the procedure for that subCategory). The two are linked both ways in one transaction
— ``refAlerts`` on the incident, ``refIncident`` on the alert — so two operators confirming the
same alert at once get the same incident. The alerts service's ``link_incident`` is then called
(idempotent) so that module sees the link through its own use case too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, Protocol

from cityioc.core.clock import from_ms
from cityioc.core.errors import BadRequestData, Conflict, ResourceNotFound
from cityioc.core.text import fold
from cityioc.hub.context import core_context
from cityioc.hub.models import StoredEntity
from cityioc.incidents import access
from cityioc.incidents.access import Actor
from cityioc.incidents.codec import key_values
from cityioc.incidents.drafts import IncidentDraft
from cityioc.incidents.models import (
    CAP_CATEGORIES,
    CAP_CERTAINTIES,
    CAP_SEVERITIES,
    CAP_URGENCIES,
    SDM_TO_CAP_SEVERITY,
    Incident,
    incident_id,
)
from cityioc.incidents.routing import Directory
from cityioc.incidents.service import Incidents
from cityioc.store.port import AuditRecord

log = logging.getLogger(__name__)
AUTO = Actor("system:auto-incident", "admin")


class AlertsPort(Protocol):
    """What this module uses of the alerts service (alerts-contract.md)."""

    async def link_incident(
        self, tenant: str, alert_id: str, incident_id: str, actor: str
    ) -> Any: ...


class AlertIncidents:
    def __init__(self, incidents: Incidents, alerts: AlertsPort | None = None) -> None:
        self.incidents = incidents
        self.alerts = alerts
        self._tasks: set[asyncio.Task[Any]] = set()

    async def confirm(
        self,
        tenant: str,
        alert_id: str,
        actor: Actor,
        *,
        sop: str | None = None,
        into: str | None = None,
    ) -> tuple[Incident, bool]:
        """The alert's incident: a new one (True), its existing one, or ``into`` (False)."""
        access.require_staff(actor)
        alert = await self._alert(tenant, alert_id)
        kv = key_values(alert)
        linked = kv.get("refIncident")
        if isinstance(linked, str):
            if into is not None and incident_id(into) != linked:
                raise Conflict(
                    f"alert {alert_id} already belongs to incident {linked}",
                    title="Alert already linked",
                )
            return await self.incidents.get(tenant, linked, actor), False
        if into is not None:
            return await self._attach(tenant, alert_id, incident_id(into), actor), False
        d = await self.incidents.directory(tenant)
        draft = self._draft(d, kv, sop)
        incident = self.incidents.prepare(
            d, draft, actor.id, source="alert", alert_sub_category=kv.get("subCategory")
        )
        created = await self.incidents.repo.create(
            tenant,
            incident,
            actor.id,
            also=[alert_id],
            prepare=lambda fresh, current: _link(fresh, current, alert_id, actor.id, self._now()),
            records=lambda fresh, now: [_link_record(tenant, alert_id, fresh.id, actor.id, now)],
        )
        if created is None:  # another request linked it first: answer with that incident
            return await self.confirm(tenant, alert_id, actor, into=into, sop=sop)
        self.incidents.tenants.add(tenant)
        await self._tell_alerts(tenant, alert_id, created.id, actor.id)
        return created, True

    def on_alert(self, tenant: str, alert: Any, what: str) -> asyncio.Task[Any] | None:
        """The alerts service's callback: open an incident for a raised alert whose rule says
        ``incidentPolicy: auto``. Runs in the background; the task is returned (awaitable).

        ``alert`` may be the alerts service's view (with ``entity``), a stored entity or a dict.
        """
        if what != "raised":
            return None
        alert_id, policy = _id_and_policy(alert)
        if alert_id is None or policy != "auto":
            return None

        async def open_incident() -> None:
            try:
                await self.confirm(tenant, alert_id, AUTO)
            except Exception:
                log.exception("could not open an incident for alert %s", alert_id)

        task = asyncio.get_running_loop().create_task(open_incident())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self) -> None:
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- helpers --------------------------------------------------------------------------------

    def _now(self) -> int:
        return self.incidents.clock.now_ms()

    async def _alert(self, tenant: str, alert_id: str) -> StoredEntity:
        found = await self.incidents.hub.store.get_entities(tenant, [alert_id])
        alert = found.get(alert_id)
        if alert is None or core_context().expand_type("Alert") not in alert.types:
            raise ResourceNotFound(f"alert {alert_id} does not exist")
        return alert

    async def _attach(self, tenant: str, alert_id: str, iid: str, actor: Actor) -> Incident:
        def change(incident: Incident, current: Mapping[str, StoredEntity]) -> list[StoredEntity]:
            access.require_actor(actor, incident)
            if not incident.is_open:
                raise Conflict(
                    f"incident {iid} is {incident.status.value}: an alert can join only an open"
                    " incident (new, acknowledged, dispatched or inProgress)",
                    title="Incident not open",
                )
            return _link(incident, current, alert_id, actor.id, self._now())

        _, after = await self.incidents.repo.change(
            tenant,
            iid,
            change,
            actor.id,
            "incident-link-alert",
            also=[alert_id],
            records=lambda linked, now: [_link_record(tenant, alert_id, linked.id, actor.id, now)],
        )
        await self._tell_alerts(tenant, alert_id, iid, actor.id)
        return after

    async def _tell_alerts(self, tenant: str, alert_id: str, iid: str, actor: str) -> None:
        if self.alerts is None:
            return
        try:
            await self.alerts.link_incident(tenant, alert_id, iid, actor)
        except Exception:  # the link is already stored; the alerts module only confirms it
            log.exception("alerts.link_incident(%s, %s) failed", alert_id, iid)

    def _draft(self, d: Directory, kv: dict[str, Any], sop: str | None) -> IncidentDraft:
        category = _category(d, kv)
        cap_severity = kv.get("capSeverity")
        if cap_severity not in CAP_SEVERITIES:
            cap_severity = SDM_TO_CAP_SEVERITY.get(str(kv.get("severity")), "Unknown")
        location = kv.get("location")
        if not isinstance(location, dict):
            location = None
        data: dict[str, Any] = {
            "title": _title(kv),
            "description": _text(kv.get("description"), 4000),
            "category": category,
            "capCategory": kv.get("capCategory")
            if kv.get("capCategory") in CAP_CATEGORIES
            else None,
            "capSeverity": cap_severity,
            "capUrgency": kv.get("capUrgency")
            if kv.get("capUrgency") in CAP_URGENCIES
            else "Unknown",
            "capCertainty": kv.get("capCertainty")
            if kv.get("capCertainty") in CAP_CERTAINTIES
            else "Unknown",
            "location": location,
            "area": _area_by_name(d, kv.get("areaServed"), self._now()) if not location else None,
            "sop": sop,
        }
        try:
            return IncidentDraft.model_validate(data)
        except ValueError as err:
            raise BadRequestData(f"this alert cannot become an incident: {err}") from err


def _link_record(tenant: str, alert_id: str, iid: str, actor: str, now: int) -> AuditRecord:
    """The alert's side of a link (the incident's side is the incident's own record)."""
    detail = {"before": {"refIncident": None}, "after": {"refIncident": iid}}
    return AuditRecord(now, actor, tenant, "alert-link-incident", alert_id, detail)


def _link(
    incident: Incident,
    current: Mapping[str, StoredEntity],
    alert_id: str,
    actor: str,
    now: int,
) -> list[StoredEntity]:
    """Add the alert to the incident and ``refIncident`` to the alert ([] when already linked)."""
    alert = current.get(alert_id)
    if alert is None:
        raise ResourceNotFound(f"alert {alert_id} does not exist")
    ref = core_context().expand_term("refIncident")
    existing = alert.doc.get(ref)
    if isinstance(existing, dict) and existing.get("object"):
        if existing["object"] == incident.id and alert_id not in incident.alerts:
            incident.alerts.append(alert_id)
        return []  # already linked: nothing to write on the alert
    if alert_id not in incident.alerts:
        incident.alerts.append(alert_id)
    doc = {**alert.doc, ref: {"type": "Relationship", "object": incident.id}}
    linked = StoredEntity(
        alert.id, list(alert.types), doc, alert.created_at, now, alert.created_by, actor
    )
    return [linked]


def _id_and_policy(alert: Any) -> tuple[str | None, str | None]:
    entity = alert if isinstance(alert, StoredEntity) else getattr(alert, "entity", None)
    if isinstance(entity, StoredEntity):
        policy = key_values(entity).get("incidentPolicy")
        return entity.id, policy if isinstance(policy, str) else None
    if isinstance(alert, dict):
        policy = alert.get("incidentPolicy")
        if isinstance(policy, dict):
            policy = policy.get("value")
        ident = alert.get("id")
        return (ident if isinstance(ident, str) else None), (
            policy if isinstance(policy, str) else None
        )
    return None, None


def _category(d: Directory, kv: dict[str, Any]) -> str | None:
    sub = kv.get("subCategory")
    for code, category in d.categories.items():
        link = category.alert
        if link is not None and link.sub_category == sub and link.category == kv.get("category"):
            return code
    for code, category in d.categories.items():
        if category.alert is not None and category.alert.sub_category == sub:
            return code
    template = next((t for t in d.sops if sub in t.alert_sub_categories), None)
    return template.category if template is not None else None


def _title(kv: dict[str, Any]) -> dict[str, str]:
    title = kv.get("title")
    out: dict[str, str] = {}
    if isinstance(title, dict):
        out = {k: _text(v, 200) or "" for k, v in title.items() if k in ("vi", "en")}
    elif isinstance(title, str):
        out = {"vi": _text(title, 200) or ""}
    for lang, key in (("vi", "titleVi"), ("en", "titleEn")):
        if not out.get(lang) and isinstance(kv.get(key), str):
            out[lang] = _text(kv[key], 200) or ""
    out = {k: v for k, v in out.items() if v}
    if not out:
        name = kv.get("name") or kv.get("subCategory") or "alert"
        out = {"vi": f"Cảnh báo: {name}"[:200], "en": f"Alert: {name}"[:200]}
    return out


def _text(value: Any, limit: int) -> str | None:
    if isinstance(value, dict):  # a LanguageProperty: Vietnamese first
        value = value.get("vi") or value.get("en")
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()[:limit]


def _area_by_name(d: Directory, name: Any, now: int) -> str | None:
    """The code of the area valid now whose name is ``name`` (accents and case ignored)."""
    if not isinstance(name, str) or not name:
        return None
    wanted = fold(name)
    day = d.areas.day(from_ms(now).astimezone(d.areas.tz))
    for area in d.areas.valid_at(day):
        if wanted in (fold(area.name_vi), fold(area.name_en)):
            return area.code
    return None

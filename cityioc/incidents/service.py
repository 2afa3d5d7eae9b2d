"""Incident use cases: open, list, read, move through the lifecycle, assign, comment, run the SOP.

Each change is one ``Hub.apply`` with a decide function and an audit record (``repository``);
access rules are in ``access``, the lifecycle in ``lifecycle``, procedures in ``sop``, deadlines
in ``sla``. The city's areas, agencies, procedures and SLA come from the hub (``catalogue``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cityioc.core.clock import from_ms
from cityioc.core.errors import BadRequestData, Conflict, Forbidden
from cityioc.hub.models import StoredEntity
from cityioc.hub.service import Hub
from cityioc.incidents import access, lifecycle, placing, sla, sop
from cityioc.incidents.access import Actor
from cityioc.incidents.catalogue import load_directory
from cityioc.incidents.codec import key_values
from cityioc.incidents.drafts import NO_PROCEDURE, Filters, IncidentDraft
from cityioc.incidents.lifecycle import Action
from cityioc.incidents.models import (
    OPEN_STATUSES,
    Comment,
    Incident,
    Status,
    agency_urn,
    incident_id,
)
from cityioc.incidents.notify import Notifier
from cityioc.incidents.photos import PhotoStore
from cityioc.incidents.queries import newest_first, to_q
from cityioc.incidents.repository import IncidentRepository, new_id
from cityioc.incidents.routing import Directory, route
from cityioc.packs.models import Area
from cityioc.store.port import AuditRecord

MAX_COMMENT = 2000
MAX_COMMENTS = 500
BOARD_COLUMNS = (*OPEN_STATUSES, Status.resolved)
DirectoryLoader = Callable[[str], Awaitable[Directory]]


@dataclass(slots=True)
class Page:
    items: list[Incident]
    total: int
    limit: int
    offset: int


@dataclass(slots=True)
class Details:
    incident: Incident
    audit: list[AuditRecord]
    alerts: list[dict[str, Any]] = field(default_factory=list)


class Incidents:
    def __init__(
        self,
        hub: Hub,
        *,
        timezone: str = "UTC",
        notifier: Notifier | None = None,
        photos: PhotoStore | None = None,
        directory: DirectoryLoader | None = None,
    ) -> None:
        self.hub = hub
        self.clock = hub.clock
        self.repo = IncidentRepository(hub)
        self.timezone = timezone
        self.notifier = notifier or Notifier(None, hub.clock, timezone=timezone)
        self.photos = photos
        self._directory = directory
        self.tenants: set[str] = {"default"}  # watched by the SLA tick

    async def directory(self, tenant: str) -> Directory:
        if self._directory is not None:
            return await self._directory(tenant)
        return await load_directory(self.hub.store, tenant, self.timezone)

    # --- opening ------------------------------------------------------------------------------

    async def create(self, tenant: str, draft: IncidentDraft, actor: Actor) -> Incident:
        """A new incident by hand (operators): routed, with its SLA and its procedure started."""
        access.require_staff(actor)
        d = await self.directory(tenant)
        if draft.location is not None:
            placing.checked_point(draft.location, d.areas)
        incident = self.prepare(d, draft, actor.id, source="manual")
        created = await self.repo.create(tenant, incident, actor.id)
        assert created is not None
        self.tenants.add(tenant)
        return created

    def prepare(
        self,
        d: Directory,
        draft: IncidentDraft,
        actor: str,
        *,
        source: str,
        alert_sub_category: str | None = None,
        when: int | None = None,
    ) -> Incident:
        """The incident ``draft`` describes, placed, routed, with deadlines and activities."""
        now = self.clock.now_ms()
        if draft.category is not None and draft.category not in d.categories and d.categories:
            raise BadRequestData(f"unknown category {draft.category!r}")
        category = d.categories.get(draft.category or "")
        incident = Incident(
            id=new_id(self.clock),
            title=dict(draft.title),
            description=draft.description,
            category=draft.category,
            cap_category=draft.cap_category or (category.cap_category if category else "Other"),
            cap_severity=draft.cap_severity,
            cap_urgency=draft.cap_urgency,
            cap_certainty=draft.cap_certainty,
            location=draft.location,
            assignee=draft.assignee,
            source=source,
            opened_at=now,
            opened_by=actor,
        )
        self._place(d, incident, draft.area, when or now)
        routed = route(d, incident.area, incident.category, _aware(d, when or now))
        incident.agency, incident.agencies = routed.lead, list(routed.involved)
        if draft.agency is not None:
            chosen = agency_urn(draft.agency)
            if d.agencies and d.agency(chosen) is None:
                raise BadRequestData(f"unknown agency {draft.agency!r}")
            incident.agency = chosen
            incident.agencies = [chosen, *(a for a in incident.agencies if a != chosen)]
        sla.apply_deadlines(incident, d.sla)
        if draft.sop != NO_PROCEDURE:
            template = sop.choose(
                d.sops,
                code=draft.sop,
                category=incident.category,
                alert_sub_category=alert_sub_category,
            )
            if template is not None:
                incident.sop = template.id
                incident.activities = sop.start(template, now)
        return incident

    async def area_at(self, tenant: str, lon: float, lat: float, actor: Actor) -> Area | None:
        """The area valid now holding a point the operator picked (what the form pre-selects)."""
        access.require_staff(actor)
        d = await self.directory(tenant)
        placing.check_inside(lon, lat, d.areas)
        return d.areas.area_at((lon, lat), _aware(d, self.clock.now_ms()))

    def _place(self, d: Directory, incident: Incident, area: str | None, when: int) -> None:
        day = _aware(d, when)
        found = None
        if area is not None:
            found = d.areas.area_at(area, day)
            if found is None and len(d.areas):
                raise BadRequestData(f"unknown area {area!r}")
        elif incident.location is not None and incident.location.get("type") == "Point":
            found = d.areas.area_at(incident.location, day)
        if found is not None:
            incident.area, incident.area_name = found.code, found.name_vi

    # --- reading ------------------------------------------------------------------------------

    async def get(self, tenant: str, iid: str, actor: Actor) -> Incident:
        incident = await self.repo.get(tenant, incident_id(iid))
        access.require_visible(actor, incident)
        return incident

    async def details(self, tenant: str, iid: str, actor: Actor) -> Details:
        incident = await self.get(tenant, iid, actor)
        trail = list(reversed(await self.hub.store.audit_trail(tenant, incident.id, limit=500)))
        alerts = await self._alert_summaries(tenant, incident.alerts)
        return Details(incident, trail, alerts)

    async def page(
        self, tenant: str, filters: Filters, actor: Actor, *, limit: int = 20, offset: int = 0
    ) -> Page:
        """Newest first; agency callers get their agency's incidents only."""
        access.require_reader(actor)
        q = to_q(filters, self.clock.now_ms(), actor, await self._descendants(tenant, filters))
        items, total = await newest_first(self.repo, tenant, q, limit, offset)
        return Page(items, total, limit, offset)

    async def board(
        self, tenant: str, filters: Filters, actor: Actor, *, per_column: int = 50
    ) -> dict[Status, Page]:
        access.require_reader(actor)
        out: dict[Status, Page] = {}
        for status in BOARD_COLUMNS:
            column = Filters(
                (status,),
                filters.severities,
                filters.agency,
                filters.area,
                filters.category,
                filters.overdue,
            )
            out[status] = await self.page(tenant, column, actor, limit=per_column)
        return out

    async def _descendants(self, tenant: str, filters: Filters) -> list[str] | None:
        if filters.area is None:
            return None
        d = await self.directory(tenant)
        codes, stack = [filters.area], [filters.area]
        while stack:
            for child in d.areas.children.get(stack.pop(), []):
                codes.append(child.code)
                stack.append(child.code)
        return codes

    async def _alert_summaries(self, tenant: str, ids: list[str]) -> list[dict[str, Any]]:
        found = await self.hub.store.get_entities(tenant, ids) if ids else {}
        out = []
        for aid in ids:
            entity = found.get(aid)
            if entity is None:
                out.append({"id": aid, "missing": True})
                continue
            kv = key_values(entity)
            out.append(
                {
                    "id": aid,
                    **{
                        k: kv[k]
                        for k in ("status", "severity", "subCategory", "capSeverity", "lastSeen")
                        if k in kv
                    },
                    "title": kv.get("title") or {"vi": kv.get("titleVi"), "en": kv.get("titleEn")},
                }
            )
        return out

    # --- lifecycle ----------------------------------------------------------------------------

    async def transition(
        self,
        tenant: str,
        iid: str,
        action: Action,
        actor: Actor,
        *,
        note: str | None = None,
        photo: bytes | None = None,
    ) -> Incident:
        note = (note or "").strip() or None
        if note is not None and len(note) > MAX_COMMENT:
            raise BadRequestData(f"a note has at most {MAX_COMMENT} characters")
        if action is Action.resolve and note is None:
            raise BadRequestData("resolving an incident needs a note saying what was done")
        if action is Action.cancel and note is None:
            raise BadRequestData("cancelling an incident needs a reason (note)")
        if photo is not None and action is not Action.resolve:
            raise BadRequestData("a photo goes with resolve")
        iid = incident_id(iid)
        photo_name = None
        if photo is not None:
            if self.photos is None:
                raise BadRequestData("photos are not enabled on this server (media_dir)")
            current = await self.repo.get(tenant, iid)
            access.require_actor(actor, current)
            photo_name = await self.photos.save(tenant, iid, photo)

        def change(incident: Incident, _: Mapping[str, StoredEntity]) -> None:
            access.require_actor(actor, incident)
            role = actor.role or ""
            moved = lifecycle.decide(incident.status, action, role)
            if action is Action.resolve:
                waiting = sop.pending_steps(incident.activities)
                if waiting:
                    steps = ", ".join(f"{a.n} ({a.key})" for a in waiting)
                    raise Conflict(
                        f"steps {steps} of the procedure are still pending: mark them done or"
                        " skip them with a reason first",
                        title="Procedure not finished",
                    )
                incident.resolution_note = note
                if photo_name is not None and photo_name not in incident.photos:
                    incident.photos.append(photo_name)
            elif action is Action.cancel:
                incident.cancel_reason = note
            elif note is not None:
                self._add_comment(incident, actor.id, note)
            now = self.clock.now_ms()
            incident.status = moved.target
            incident.stamps[moved.stamp] = now
            incident.stamped_by[moved.stamp] = actor.id

        _, after = await self.repo.change(tenant, iid, change, actor.id, f"incident-{action.value}")
        if action is Action.dispatch and self.notifier.mailer is not None:
            self.notifier.dispatched(after, await self.directory(tenant))
        return after

    async def assign(
        self,
        tenant: str,
        iid: str,
        actor: Actor,
        *,
        assignee: str | None = None,
        agency: str | None = None,
    ) -> Incident:
        """Set the person handling it and/or (operations centre only) the responsible agency."""
        if assignee is None and agency is None:
            raise BadRequestData("give an assignee, an agency or both")
        d = await self.directory(tenant) if agency is not None else None
        chosen = agency_urn(agency) if agency is not None else None
        if d is not None and chosen is not None and d.agencies and d.agency(chosen) is None:
            raise BadRequestData(f"unknown agency {agency!r}")

        def change(incident: Incident, _: Mapping[str, StoredEntity]) -> None:
            access.require_actor(actor, incident)
            if not incident.is_open:
                raise Conflict(f"incident {incident.id} is {incident.status.value}")
            if chosen is not None:
                if not actor.is_staff:
                    raise Forbidden("only the operations centre may hand an incident over")
                incident.agency = chosen
                incident.agencies = [chosen, *(a for a in incident.agencies if a != chosen)]
            if assignee is not None:
                incident.assignee = assignee.strip() or None

        return (
            await self.repo.change(tenant, incident_id(iid), change, actor.id, "incident-assign")
        )[1]

    async def comment(self, tenant: str, iid: str, actor: Actor, text: str) -> Incident:
        text = (text or "").strip()
        if not text or len(text) > MAX_COMMENT:
            raise BadRequestData(f"a comment has 1 to {MAX_COMMENT} characters")

        def change(incident: Incident, _: Mapping[str, StoredEntity]) -> None:
            access.require_visible(actor, incident)  # every involved agency may comment
            if actor.role == "viewer":
                raise Forbidden("viewers may not comment")
            self._add_comment(incident, actor.id, text)

        return (
            await self.repo.change(tenant, incident_id(iid), change, actor.id, "incident-comment")
        )[1]

    def _add_comment(self, incident: Incident, by: str, text: str) -> None:
        if len(incident.comments) >= MAX_COMMENTS:
            raise Conflict(f"an incident keeps at most {MAX_COMMENTS} comments")
        incident.comments.append(Comment(self.clock.now_ms(), by, text))

    # --- the procedure ------------------------------------------------------------------------

    async def step_done(
        self, tenant: str, iid: str, n: int, actor: Actor, record: dict[str, Any]
    ) -> Incident:
        def change(incident: Incident, _: Mapping[str, StoredEntity]) -> None:
            self._step_allowed(incident, n, actor)
            sop.complete(incident.activities, n, record, actor.id, self.clock.now_ms())

        return (
            await self.repo.change(tenant, incident_id(iid), change, actor.id, "incident-step-done")
        )[1]

    async def step_skip(self, tenant: str, iid: str, n: int, actor: Actor, reason: str) -> Incident:
        def change(incident: Incident, _: Mapping[str, StoredEntity]) -> None:
            self._step_allowed(incident, n, actor)
            sop.skip(incident.activities, n, reason, actor.id, self.clock.now_ms())

        return (
            await self.repo.change(tenant, incident_id(iid), change, actor.id, "incident-step-skip")
        )[1]

    def _step_allowed(self, incident: Incident, n: int, actor: Actor) -> None:
        access.require_visible(actor, incident)
        if not incident.activities:
            raise Conflict(f"incident {incident.id} runs no procedure")
        if not 1 <= n <= len(incident.activities):
            raise BadRequestData(f"the procedure has steps 1 to {len(incident.activities)}")
        access.may_do_step(actor, incident, incident.activities[n - 1].role)
        if not incident.is_open:
            raise Conflict(f"incident {incident.id} is {incident.status.value}")

    # --- links --------------------------------------------------------------------------------

    async def link_report(self, tenant: str, iid: str, report_id: str, actor: Actor) -> Incident:
        """Attach a citizen report (the reports module calls this; idempotent)."""
        if not report_id.startswith("urn:"):
            raise BadRequestData("a report id is a URN")

        def change(incident: Incident, _: Mapping[str, StoredEntity]) -> None:
            access.require_actor(actor, incident)
            if report_id not in incident.reports:
                incident.reports.append(report_id)

        return (
            await self.repo.change(
                tenant, incident_id(iid), change, actor.id, "incident-link-report"
            )
        )[1]


def _aware(d: Directory, ms: int) -> datetime:
    return from_ms(ms).astimezone(d.areas.tz)

"""Incidents over HTTP: list, board, details, create, lifecycle, assign, comment, SOP steps,
resolution photos; and ``POST /api/v1/alerts/{id}/incident`` (an alert becomes an incident).

HTTP mapping only: the rules are in ``cityioc.incidents``. Agency callers see their agency's
incidents only (enforced by the service). Photos are served to the callers who may read the
incident, never publicly.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile
from starlette.responses import FileResponse, JSONResponse, Response

from cityioc.core.clock import from_ms
from cityioc.core.errors import BadRequestData, PayloadTooLarge
from cityioc.incidents import access, views
from cityioc.incidents.access import Actor
from cityioc.incidents.choices import choices
from cityioc.incidents.drafts import Filters, IncidentDraft
from cityioc.incidents.lifecycle import Action
from cityioc.incidents.models import STATUS_LABELS, Incident, incident_id
from cityioc.incidents.setup import IncidentsModule
from cityioc.web.ngsi_http import principal_of, tenant_of
from cityioc.web.state import city

router = APIRouter(prefix="/api/v1", tags=["incidents"])
FORM_OVERHEAD = 64 * 1024  # room for the note and the multipart framing around a photo


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoteBody(_Body):
    note: str | None = Field(default=None, max_length=2000)


class AssignBody(_Body):
    assignee: str | None = Field(default=None, max_length=120)
    agency: str | None = Field(default=None, max_length=200)


class CommentBody(_Body):
    text: str = Field(min_length=1, max_length=2000)


class StepDoneBody(_Body):
    data: dict[str, Any] = Field(default_factory=dict)


class StepSkipBody(_Body):
    reason: str = Field(min_length=1, max_length=2000)


class ConfirmBody(_Body):
    sop: str | None = Field(default=None, max_length=60, description="a procedure id, or none")
    incident: str | None = Field(
        default=None,
        max_length=200,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9:._-]*$",
        description="link the alert to this existing (open) incident instead: its id",
    )


def module(request: Request) -> IncidentsModule:
    found: IncidentsModule = request.app.state.incidents
    return found


async def actor_of(request: Request) -> Actor:
    p = await principal_of(request)
    return Actor.of(p.actor, p.role.value if p.role is not None else None, p.agency)


def _photo_base(request: Request, incident: Incident) -> str:
    return str(request.url_for("incident_photo", iid=incident.id, name="x")).rsplit("/", 1)[0]


async def _details(request: Request, incident: Incident, actor: Actor) -> dict[str, Any]:
    m = module(request)
    d = await m.service.details(tenant_of(request), incident.id, actor)
    return views.details(
        d.incident,
        m.service.clock.now_ms(),
        actor,
        audit=d.audit,
        alerts=d.alerts,
        photo_url=_photo_base(request, d.incident),
    )


Csv = Annotated[str | None, Query(description="one or more, comma-separated")]


@router.get("/incidents", summary="List incidents, newest first")
async def list_incidents(
    request: Request,
    status: Csv = None,
    severity: Csv = None,
    agency: Annotated[str | None, Query(description="responsible agency (Organization id)")] = None,
    area: Annotated[
        str | None, Query(description="area code: the area and the areas in it")
    ] = None,
    category: str | None = None,
    overdue: Annotated[bool, Query(description="only open incidents past a deadline")] = False,
    limit: Annotated[int, Query(ge=1)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    m, actor = module(request), await actor_of(request)
    if limit > city(request).settings.max_page_size:
        raise BadRequestData(f"limit must be at most {city(request).settings.max_page_size}")
    filters = Filters.parse(status, severity, agency, area, category, overdue)
    page = await m.service.page(tenant_of(request), filters, actor, limit=limit, offset=offset)
    now = m.service.clock.now_ms()
    return {
        "items": [views.summary(i, now) for i in page.items],
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
    }


@router.get("/incidents/board", summary="Incidents grouped by status (the incident board)")
async def board(
    request: Request,
    severity: Csv = None,
    agency: str | None = None,
    area: str | None = None,
    category: str | None = None,
    overdue: bool = False,
    per_column: Annotated[int, Query(alias="perColumn", ge=1, le=500)] = 50,
) -> dict[str, Any]:
    m, actor = module(request), await actor_of(request)
    filters = Filters.parse(None, severity, agency, area, category, overdue)
    columns = await m.service.board(tenant_of(request), filters, actor, per_column=per_column)
    now = m.service.clock.now_ms()
    return {
        "columns": [
            {
                "status": status.value,
                "label": STATUS_LABELS[status],
                "total": page.total,
                "items": [views.summary(i, now) for i in page.items],
            }
            for status, page in columns.items()
        ]
    }


@router.post("/incidents", status_code=201, summary="Open an incident by hand (operators)")
async def create_incident(request: Request, body: IncidentDraft) -> JSONResponse:
    m, actor = module(request), await actor_of(request)
    incident = await m.service.create(tenant_of(request), body, actor)
    return JSONResponse(
        await _details(request, incident, actor),
        status_code=201,
        headers={"Location": f"/api/v1/incidents/{incident.id}"},
    )


@router.get(
    "/incidents/choices",
    summary="What the incident forms offer: categories, areas and agencies valid today",
)
async def incident_choices(request: Request) -> dict[str, Any]:
    m, actor = module(request), await actor_of(request)
    access.require_reader(actor)
    d = await m.service.directory(tenant_of(request))
    today = d.areas.day(from_ms(m.service.clock.now_ms()).astimezone(d.areas.tz))
    return choices(d, today)


@router.get(
    "/incidents/area-at",
    summary="The area valid today that holds a point (what the new-incident form pre-selects)",
    description="`area` is null when no area of the city holds the point; 400 when the point "
    "is outside the city's reach.",
)
async def incident_area_at(
    request: Request,
    lon: Annotated[float, Query(ge=-180, le=180, description="longitude, WGS 84")],
    lat: Annotated[float, Query(ge=-90, le=90, description="latitude, WGS 84")],
) -> dict[str, Any]:
    m, actor = module(request), await actor_of(request)
    found = await m.service.area_at(tenant_of(request), lon, lat, actor)
    if found is None:
        return {"area": None}
    name = {"vi": found.name_vi, "en": found.name_en}
    return {"area": {"code": found.code, "name": name, "level": found.level}}


@router.get("/incidents/{iid}", summary="An incident with its procedure, alerts, comments, audit")
async def get_incident(request: Request, iid: str) -> dict[str, Any]:
    actor = await actor_of(request)
    incident = await module(request).service.get(tenant_of(request), iid, actor)
    return await _details(request, incident, actor)


def _transition_route(action: Action) -> None:
    async def transition(request: Request, iid: str) -> dict[str, Any]:
        m, actor = module(request), await actor_of(request)
        note, photo = await _note_and_photo(request, m, action)
        incident = await m.service.transition(
            tenant_of(request), iid, action, actor, note=note, photo=photo
        )
        return await _details(request, incident, actor)

    doc = 'a note (JSON `{"note": …}`)'
    if action is Action.resolve:
        doc = (
            'a note (required) and optionally a photo: JSON `{"note": …}` or'
            " multipart/form-data with `note` and `photo` (JPEG, PNG or WebP)"
        )
    elif action is Action.cancel:
        doc = 'a reason (JSON `{"note": …}`, required)'
    router.add_api_route(
        f"/incidents/{{iid}}/{action.value}",
        transition,
        methods=["POST"],
        summary=f"{action.value.capitalize()} an incident",
        description=f"Takes {doc}. Invalid transitions answer 409, a role that may not 403.",
        name=f"incident_{action.value}",
        openapi_extra={"requestBody": _transition_body(action)},
    )


def _transition_body(action: Action) -> dict[str, Any]:
    note = {
        "type": "object",
        "properties": {"note": {"type": "string", "maxLength": 2000}},
        "additionalProperties": False,
    }
    content: dict[str, Any] = {"application/json": {"schema": note}}
    if action is Action.resolve:
        content["multipart/form-data"] = {
            "schema": {
                "type": "object",
                "properties": {
                    "note": {"type": "string"},
                    "photo": {"type": "string", "format": "binary"},
                },
                "required": ["note"],
            }
        }
    return {"required": action in (Action.resolve, Action.cancel), "content": content}


for _action in Action:
    _transition_route(_action)


async def _note_and_photo(
    request: Request, m: IncidentsModule, action: Action
) -> tuple[str | None, bytes | None]:
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data"):
        declared = request.headers.get("content-length")
        limit = m.photos.max_bytes + FORM_OVERHEAD
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"a photo may have at most {m.photos.max_bytes} bytes")
        form = await request.form(max_files=1, max_fields=4)
        try:
            note = form.get("note")
            upload = form.get("photo")
            photo = None
            if isinstance(upload, UploadFile):
                photo = await upload.read(m.photos.max_bytes + 1)
                m.photos.check(photo)
            return (note if isinstance(note, str) else None), photo
        finally:
            await form.close()
    raw = await request.body()
    if not raw.strip():
        return None, None
    try:
        body = NoteBody.model_validate_json(raw)
    except ValueError as err:
        raise BadRequestData(f'the body must be JSON such as {{"note": "…"}}: {err}') from err
    return body.note, None


@router.post("/incidents/{iid}/assign", summary="Set the assignee and/or the responsible agency")
async def assign(request: Request, iid: str, body: AssignBody) -> dict[str, Any]:
    m, actor = module(request), await actor_of(request)
    incident = await m.service.assign(
        tenant_of(request), iid, actor, assignee=body.assignee, agency=body.agency
    )
    return await _details(request, incident, actor)


@router.post("/incidents/{iid}/comments", status_code=201, summary="Comment on an incident")
async def comment(request: Request, iid: str, body: CommentBody) -> dict[str, Any]:
    m, actor = module(request), await actor_of(request)
    incident = await m.service.comment(tenant_of(request), iid, actor, body.text)
    return await _details(request, incident, actor)


@router.post("/incidents/{iid}/activities/{n}/done", summary="Mark a procedure step done")
async def step_done(request: Request, iid: str, n: int, body: StepDoneBody) -> dict[str, Any]:
    m, actor = module(request), await actor_of(request)
    incident = await m.service.step_done(tenant_of(request), iid, n, actor, body.data)
    return await _details(request, incident, actor)


@router.post("/incidents/{iid}/activities/{n}/skip", summary="Skip a procedure step (a reason)")
async def step_skip(request: Request, iid: str, n: int, body: StepSkipBody) -> dict[str, Any]:
    m, actor = module(request), await actor_of(request)
    incident = await m.service.step_skip(tenant_of(request), iid, n, actor, body.reason)
    return await _details(request, incident, actor)


@router.get(
    "/incidents/{iid}/photos/{name}",
    name="incident_photo",
    summary="A resolution photo (for those who may read the incident)",
    response_class=Response,
)
async def incident_photo(request: Request, iid: str, name: str) -> FileResponse:
    m, actor = module(request), await actor_of(request)
    tenant = tenant_of(request)
    incident = await m.service.get(tenant, iid, actor)
    if name not in incident.photos:
        raise BadRequestData(f"photo {name} is not one of this incident's")
    path, media_type = m.photos.path(tenant, incident.id, name)
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "private"})


@router.post(
    "/alerts/{alert_id}/incident",
    summary="Confirm an alert into an incident (operators)",
    description="201 with a new incident; 200 when the alert already has one (or `incident` "
    "names an existing incident to link it to).",
    responses={200: {"description": "the alert's existing incident"}},
    status_code=201,
)
async def alert_to_incident(
    request: Request, alert_id: str, body: ConfirmBody | None = None
) -> JSONResponse:
    m, actor = module(request), await actor_of(request)
    body = body or ConfirmBody()
    incident, created = await m.alerts.confirm(
        tenant_of(request),
        alert_id,
        actor,
        sop=body.sop,
        into=incident_id(body.incident) if body.incident else None,
    )
    return JSONResponse(
        await _details(request, incident, actor),
        status_code=201 if created else 200,
        headers={"Location": f"/api/v1/incidents/{incident.id}"},
    )

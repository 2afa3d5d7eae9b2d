"""``GET /api/v1/live``: Server-Sent Events of entity changes, filterable by type, bbox and area."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sse_starlette.sse import EventSourceResponse

from cityioc.core.errors import BadRequestData
from cityioc.core.geo import bbox as geometry_bbox
from cityioc.core.text import fold
from cityioc.hub.context import core_context
from cityioc.hub.models import StoredEntity
from cityioc.store.names import AREA_SERVED, LOCATION
from cityioc.web.ngsi_http import principal_of, tenant_of
from cityioc.web.state import city

router = APIRouter(prefix="/api/v1", tags=["live"])


def _parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError as err:
        raise BadRequestData("bbox must be minLon,minLat,maxLon,maxLat") from err
    if len(parts) != 4 or parts[0] > parts[2] or parts[1] > parts[3]:
        raise BadRequestData("bbox must be minLon,minLat,maxLon,maxLat")
    return parts[0], parts[1], parts[2], parts[3]


def _in_area(entity: StoredEntity, wanted: str) -> bool:
    served = entity.doc.get(AREA_SERVED)
    value = served.get("value") if isinstance(served, dict) else None
    values = value if isinstance(value, list) else [value]
    return any(isinstance(v, str) and fold(v) == wanted for v in values)


@router.get("/live", summary="Live stream of entity changes (Server-Sent Events)")
async def live(
    request: Request, type: str | None = None, bbox: str | None = None, area: str | None = None
) -> EventSourceResponse:
    """Events: ``entity`` (the entity after a change), ``deleted``, ``overflow`` (resynchronise),
    ``heartbeat``. ``area`` matches the entity's ``areaServed`` without regard to case or accents
    (``thuan an`` finds "Thuận An")."""
    c = city(request)
    principal = await principal_of(request)
    tenant = tenant_of(request)
    core = core_context()
    wanted = {core.expand_type(t.strip()) for t in type.split(",")} if type else None
    if principal.is_public:
        public = {core.expand_type(t) for t in c.settings.public_types}
        wanted = (wanted & public) if wanted is not None else public
    box = _parse_bbox(bbox)
    wanted_area = fold(area) if area else None

    role = principal.role.value if principal.role is not None else None

    def accepts(entity_tenant: str, entity: StoredEntity) -> bool:
        if entity_tenant != tenant:
            return False
        if not c.visibility.allows(role, principal.agency, entity):
            return False
        if wanted is not None and not any(t in wanted for t in entity.types):
            return False
        if wanted_area is not None and not _in_area(entity, wanted_area):
            return False
        if box is not None:
            loc = entity.doc.get(LOCATION)
            if not isinstance(loc, dict) or not isinstance(loc.get("value"), dict):
                return False
            ex = geometry_bbox(loc["value"])
            return not (ex[0] > box[2] or ex[2] < box[0] or ex[1] > box[3] or ex[3] < box[1])
        return True

    return EventSourceResponse(c.feed.stream(accepts), ping=15)

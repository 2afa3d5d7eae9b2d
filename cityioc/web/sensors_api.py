"""``GET /api/v1/sensors/status``: which sensors are online, decided on the server (the wall's and
the operations page's "sensors online"). HTTP mapping only: the rule is in
``cityioc.packs.sensor_status``."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from cityioc.core.clock import iso_ms
from cityioc.core.errors import BadRequestData, Forbidden
from cityioc.core.text import fold, names_match
from cityioc.hub.context import core_context
from cityioc.hub.models import StoredEntity
from cityioc.packs.sensor_status import OFFLINE_TOLERANCE, sensor_state, totals
from cityioc.packs.sensor_types import SENSOR_TYPES
from cityioc.store.names import AREA_SERVED
from cityioc.store.port import EntityQuery
from cityioc.web.auth import Principal, Role
from cityioc.web.ngsi_http import principal_of, split_list, tenant_of
from cityioc.web.state import City, city

router = APIRouter(prefix="/api/v1", tags=["sensors"])
READERS = (Role.operator, Role.agency, Role.viewer)  # and admin; the public: public types only
PAGE = 1000
NAME = core_context().expand_term("name")


@router.get("/sensors/status", summary="Sensors online and offline, per sensor and per type")
async def sensors_status(
    request: Request,
    type: Annotated[
        str | None, Query(description="sensor types, comma-separated (default: every type)")
    ] = None,
    area: Annotated[str | None, Query(description="areaServed, without case or accents")] = None,
    items: Annotated[bool, Query(description="false: the totals only")] = True,
) -> Response:
    """A sensor is online while its last update (the newest ``observedAt``) is within its type's
    expected reporting interval × the tolerance (``offlineAfterSeconds``). Viewers, agencies,
    operators and admins see every sensor type; the public only the types in ``public_types``."""
    c = city(request)
    principal = await principal_of(request)
    wanted = _types(c, principal, split_list(type))
    tenant = tenant_of(request)
    now = c.clock.now_ms()
    wanted_area = fold(area) if area else None
    role = principal.role.value if principal.role is not None else None
    core = core_context()
    states = []
    names: dict[str, tuple[Any, Any]] = {}
    for short in wanted:
        offset = 0
        while True:
            query = EntityQuery(types=(core.expand_type(short),), limit=PAGE, offset=offset)
            page, _ = await c.store.query_entities(tenant, query)
            for entity in page:
                if wanted_area is not None and not _in_area(entity, wanted_area):
                    continue
                if not c.visibility.allows(role, principal.agency, entity):
                    continue
                states.append(sensor_state(entity, short, now))
                names[entity.id] = (_value(entity, NAME), _value(entity, AREA_SERVED))
            if len(page) < PAGE:
                break
            offset += PAGE
    rows = [r for r in totals(states, wanted) if r.total or type]
    online = sum(r.online for r in rows)
    total = sum(r.total for r in rows)
    body: dict[str, Any] = {
        "at": iso_ms(now),
        "tolerance": OFFLINE_TOLERANCE,
        "totals": {"online": online, "offline": total - online, "total": total},
        "types": [
            {
                "type": r.type,
                "reportEverySeconds": r.report_every_ms / 1000,
                "offlineAfterSeconds": r.offline_after_ms / 1000,
                "online": r.online,
                "offline": r.offline,
                "total": r.total,
            }
            for r in rows
        ],
    }
    if items:
        body["items"] = [
            {
                "id": s.id,
                "type": s.type,
                "name": names[s.id][0],
                "areaServed": names[s.id][1],
                "online": s.online,
                "lastUpdate": iso_ms(s.last_update) if s.last_update is not None else None,
            }
            for s in states
        ]
    return Response(orjson.dumps(body), media_type="application/json")


def _types(c: City, principal: Principal, requested: list[str]) -> list[str]:
    """The sensor types asked for that the caller may see (short names, the registry's order)."""
    unknown = [t for t in requested if t not in SENSOR_TYPES]
    if unknown:
        known = ", ".join(SENSOR_TYPES)
        raise BadRequestData(
            f"loại cảm biến không có: {', '.join(unknown)} / "
            f"type: {', '.join(unknown)} is not a sensor type (known: {known})"
        )
    types = [t for t in SENSOR_TYPES if t in requested] if requested else list(SENSOR_TYPES)
    if not principal.is_public:
        principal.require(*READERS)
        return types
    public = set(c.settings.public_types)
    shown = [t for t in types if t in public]
    if not shown:
        raise Forbidden(
            "các loại cảm biến này không công khai, hãy đăng nhập hoặc dùng khóa API / "
            "these sensor types are not public: sign in or send an API key"
        )
    return shown


def _value(entity: StoredEntity, attr: str) -> Any:
    found = entity.doc.get(attr)
    return found.get("value") if isinstance(found, dict) else None


def _in_area(entity: StoredEntity, wanted: str) -> bool:
    return names_match(_value(entity, AREA_SERVED), wanted)

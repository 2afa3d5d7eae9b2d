"""Alerts over HTTP: the list and one alert with its audit trail, the lifecycle actions, the
rules (admin), CAP 1.2 intake and the public AQI per station. HTTP mapping only: the work is in
``cityioc.alerts``."""

from __future__ import annotations

import re
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from cityioc.alerts.aqi.categories import EPA_CATEGORIES, VN_BY_CODE, Category
from cityioc.alerts.aqi_job import AQO, OUT
from cityioc.alerts.cap import MAX_BYTES
from cityioc.alerts.models import AlertView
from cityioc.alerts.module import AlertsModule
from cityioc.alerts.names import ALERT, N
from cityioc.alerts.rule_store import RuleRecord
from cityioc.alerts.rules.conditions import current_value
from cityioc.core.clock import iso_ms
from cityioc.core.errors import BadRequestData, Unauthorized, UnsupportedMediaType
from cityioc.core.text import fold, names_match
from cityioc.hub.context import core_context
from cityioc.hub.query import QueryParams, run_query
from cityioc.store.port import AuditRecord, EntityQuery
from cityioc.web.auth import Role
from cityioc.web.ngsi_http import media_type, parse_json, principal_of, read_body, tenant_of
from cityioc.web.state import city

router = APIRouter(prefix="/api/v1", tags=["alerts"])
ACTORS = (Role.operator,)  # and admin
READERS = (Role.operator, Role.agency, Role.viewer)
CAP_SENDERS = (Role.operator, Role.ingest)
CAP_TYPES = ("application/cap+xml", "application/xml", "text/xml")
MAX_LISTED = 10_000
_WORD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def module(request: Request) -> AlertsModule:
    found: AlertsModule = request.app.state.alerts
    return found


def _json(payload: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


def _words(name: str, text: str | None) -> list[str]:
    values = [v.strip() for v in (text or "").split(",") if v.strip()]
    for value in values:
        if not _WORD.match(value):
            raise BadRequestData(f"{name}: {value!r} is not a plain code")
    return values


def _bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text:
        return None
    try:
        west, south, east, north = (float(v) for v in text.split(","))
    except ValueError as err:
        raise BadRequestData("bbox is minLon,minLat,maxLon,maxLat") from err
    if west >= east or south >= north:
        raise BadRequestData("bbox is minLon,minLat,maxLon,maxLat with min < max")
    return west, south, east, north


def render_alert(view: AlertView) -> dict[str, Any]:
    body = view.to_json()
    body["createdAt"] = iso_ms(view.entity.created_at)
    body["modifiedAt"] = iso_ms(view.entity.modified_at)
    return body


def render_record(record: AuditRecord) -> dict[str, Any]:
    return {
        "at": iso_ms(record.at),
        "actor": record.actor,
        "action": record.action,
        "detail": record.detail,
    }


@router.get("/alerts", summary="List alerts, most recently seen first")
async def list_alerts(
    request: Request,
    status: Annotated[str | None, Query(description="active or cleared")] = None,
    severity: Annotated[str | None, Query(description="e.g. high,critical")] = None,
    category: Annotated[str | None, Query(description="Smart Data Models category")] = None,
    subCategory: Annotated[str | None, Query(description="e.g. flood")] = None,  # noqa: N803
    area: Annotated[str | None, Query(description="areaServed, without case or accents")] = None,
    bbox: Annotated[str | None, Query(description="minLon,minLat,maxLon,maxLat")] = None,
    acknowledged: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    (await principal_of(request)).require(*READERS)
    tenant = tenant_of(request)
    q = []
    for name, values in (
        ("status", _words("status", status)),
        ("severity", _words("severity", severity)),
        ("category", _words("category", category)),
        ("subCategory", _words("subCategory", subCategory)),
    ):
        if values:
            q.append(f"{name}==" + ",".join(f'"{v}"' for v in values))
    if acknowledged is not None:
        q.append(f"acknowledged=={str(acknowledged).lower()}")
    box = _bbox(bbox)
    params = QueryParams(
        types=(ALERT,),
        q=";".join(q) or None,
        georel="within" if box else None,
        geometry="Polygon" if box else None,
        coordinates=_box_polygon(box) if box else None,
        limit=MAX_LISTED,
    )
    found, _ = await run_query(city(request).store, tenant, params, core_context().expand_term)
    views = [AlertView(tenant, e) for e in found]
    if area:
        wanted = fold(area)
        views = [v for v in views if names_match(v.get("areaServed"), wanted)]
    views.sort(key=lambda v: (str(v.get("lastSeen") or ""), v.id), reverse=True)
    page = views[offset : offset + limit]
    return _json({"total": len(views), "items": [render_alert(v) for v in page]})


def _box_polygon(box: tuple[float, float, float, float]) -> str:
    w, s, e, n = box
    return orjson.dumps([[[w, s], [e, s], [e, n], [w, n], [w, s]]]).decode()


@router.get("/alerts/{alert_id}", summary="One alert with its audit trail")
async def get_alert(request: Request, alert_id: str) -> Response:
    (await principal_of(request)).require(*READERS)
    tenant = tenant_of(request)
    alerts = module(request).alerts
    view = await alerts.get(tenant, alert_id)
    trail = await alerts.trail(tenant, alert_id)
    return _json({**render_alert(view), "auditTrail": [render_record(r) for r in trail]})


NO_BODY = {
    "requestBody": {
        "required": False,
        "description": "No body: the action is in the path.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


@router.post(
    "/alerts/{alert_id}/acknowledge",
    openapi_extra=NO_BODY,
    summary="Acknowledge an alert (operator)",
)
async def acknowledge(request: Request, alert_id: str) -> Response:
    principal = await principal_of(request)
    principal.require(*ACTORS)
    view = await module(request).alerts.acknowledge(tenant_of(request), alert_id, principal.actor)
    return _json(render_alert(view))


@router.post(
    "/alerts/{alert_id}/clear", openapi_extra=NO_BODY, summary="Clear an alert by hand (operator)"
)
async def clear(request: Request, alert_id: str) -> Response:
    principal = await principal_of(request)
    principal.require(*ACTORS)
    view = await module(request).alerts.clear(tenant_of(request), alert_id, principal.actor)
    return _json(render_alert(view))


class CommentBody(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


@router.post("/alerts/{alert_id}/comments", summary="Comment on an alert (operator)")
async def comment(request: Request, alert_id: str, body: CommentBody) -> Response:
    principal = await principal_of(request)
    principal.require(*ACTORS)
    alerts = module(request).alerts
    view = await alerts.comment(tenant_of(request), alert_id, principal.actor, body.text)
    return _json(render_alert(view), status=201)


CAP_BODY = {
    "requestBody": {
        "required": True,
        "description": "One OASIS CAP 1.2 <alert> document.",
        "content": {t: {"schema": {"type": "string"}} for t in CAP_TYPES},
    }
}


@router.post(
    "/alerts/cap",
    openapi_extra=CAP_BODY,
    summary="Receive an OASIS CAP 1.2 message (operator, ingest)",
    description=(
        "An Alert raises an alert (the same message again changes nothing), an Update repeats "
        "the alert of the message it references, a Cancel clears it; only status Actual raises "
        "alerts. Invalid documents are refused with 400 and every problem named."
    ),
)
async def receive_cap(request: Request) -> Response:
    principal = await principal_of(request)
    principal.require(*CAP_SENDERS)
    if media_type(request) not in CAP_TYPES:
        raise UnsupportedMediaType(f"send a CAP document as {' or '.join(CAP_TYPES)}")
    raw = await read_body(request, MAX_BYTES)
    if not raw.strip():
        raise BadRequestData("the body is empty: send one CAP <alert> document")
    result = await module(request).cap.receive(tenant_of(request), raw, principal.actor)
    body = {"identifier": result.identifier, "alerts": result.alerts, "ignored": result.ignored}
    return _json(body, status=202 if result.ignored else 200)


# --- rules ----------------------------------------------------------------------------------


def render_rule(record: RuleRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "rule": record.document,
        "valid": record.rule is not None,
        "problems": record.problems,
        "modifiedAt": iso_ms(record.modified_at),
        "modifiedBy": record.modified_by,
    }


@router.get("/alert-rules", summary="The alert rules of the tenant")
async def list_rules(request: Request) -> Response:
    (await principal_of(request)).require(*READERS)
    records = await module(request).rules.list(tenant_of(request))
    return _json({"items": [render_rule(r) for r in records]})


@router.get("/alert-rules/{rule_id}", summary="One alert rule")
async def get_rule(request: Request, rule_id: str) -> Response:
    (await principal_of(request)).require(*READERS)
    return _json(render_rule(await module(request).rules.get(tenant_of(request), rule_id)))


async def _rule_body(request: Request) -> Any:
    return parse_json(await read_body(request, city(request).settings.max_body_bytes))


RULE_BODY = {
    "requestBody": {
        "required": True,
        "description": "A rule document (docs/alerts.md).",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


@router.post("/alert-rules", openapi_extra=RULE_BODY, summary="Create an alert rule (admin)")
async def create_rule(request: Request) -> Response:
    principal = await principal_of(request)
    principal.require(Role.admin)
    rules = module(request).rules
    record = await rules.create(tenant_of(request), await _rule_body(request), principal.actor)
    return _json(render_rule(record), status=201)


@router.put("/alert-rules/{rule_id}", openapi_extra=RULE_BODY, summary="Replace a rule (admin)")
async def replace_rule(request: Request, rule_id: str) -> Response:
    principal = await principal_of(request)
    principal.require(Role.admin)
    rules = module(request).rules
    body = await _rule_body(request)
    record = await rules.replace(tenant_of(request), rule_id, body, principal.actor)
    return _json(render_rule(record))


@router.delete("/alert-rules/{rule_id}", status_code=204, summary="Delete a rule (admin)")
async def delete_rule(request: Request, rule_id: str) -> Response:
    principal = await principal_of(request)
    principal.require(Role.admin)
    await module(request).rules.delete(tenant_of(request), rule_id, principal.actor)
    return Response(status_code=204)


# --- AQI (public) --------------------------------------------------------------------------


def _category(category: Category, lang: str) -> dict[str, Any]:
    return {
        "code": category.code,
        "name": category.name(lang),
        "colour": category.colour,
        "darkText": category.dark_text,
        "advice": category.advice(lang),
        "adviceSensitive": category.sensitive(lang),
    }


@router.get("/aqi/stations", summary="The air quality index now, per station (public)")
async def aqi_stations(
    request: Request,
    lang: Annotated[str, Query(pattern="^(vi|en)$")] = "vi",
    scale: Annotated[str, Query(pattern="^(vn|us)$", description="VN_AQI or US EPA")] = "vn",
) -> Response:
    principal = await principal_of(request)
    c = city(request)
    if principal.is_public and "AirQualityObserved" not in c.settings.public_types:
        raise Unauthorized("air quality is not public in this deployment: send an API key")
    tenant = tenant_of(request)
    items = []
    offset = 0
    while True:
        page, _ = await c.store.query_entities(
            tenant, EntityQuery(types=(AQO,), limit=500, offset=offset)
        )
        items += [_station(e.doc, e.id, lang, scale) for e in page]
        if len(page) < 500:
            break
        offset += 500
    return _json({"scale": "VN_AQI" if scale == "vn" else "US EPA AQI", "items": items})


def _station(doc: Any, eid: str, lang: str, scale: str) -> dict[str, Any]:
    values = station_aqi_doc(doc)
    index = values["airQualityIndex" if scale == "vn" else "airQualityIndexUS"]
    out: dict[str, Any] = {
        "id": eid,
        "name": current_value(doc, N["name"]),
        "areaServed": current_value(doc, N["areaServed"]),
        "location": current_value(doc, N["location"]),
        "aqi": index,
        "dominantPollutant": values["dominantPollutant"],
        "observedAt": values["observedAt"],
        "category": None,
    }
    if isinstance(index, int | float):
        if scale == "vn":
            code = values["airQualityLevel"]
            category = VN_BY_CODE.get(str(code))
        else:
            code = values["airQualityLevelUS"]
            category = next((c for c in EPA_CATEGORIES if c.code == code), None)
        out["category"] = _category(category, lang) if category is not None else None
    daily = values["airQualityIndexDaily"]
    if scale == "vn" and isinstance(daily, int | float):
        level = VN_BY_CODE.get(str(values["airQualityLevelDaily"]))
        out["daily"] = {
            "aqi": daily,
            "date": values["dailyObservedAt"],
            "category": _category(level, lang) if level else None,
        }
    return out


def station_aqi_doc(doc: Any) -> dict[str, Any]:
    values = {name: current_value(doc, iri) for name, iri in OUT.items()}
    index = doc.get(OUT["airQualityIndex"])
    daily = doc.get(OUT["airQualityIndexDaily"])
    values["observedAt"] = index.get("observedAt") if isinstance(index, dict) else None
    values["dailyObservedAt"] = daily.get("observedAt") if isinstance(daily, dict) else None
    return values

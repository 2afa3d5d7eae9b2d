"""NGSI-LD temporal API: history of entities, simplified values and aggregations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from cityioc.core.clock import parse_datetime_ms
from cityioc.core.errors import BadRequestData, ResourceNotFound
from cityioc.hub.attributes import comparable_value, normalize_attribute
from cityioc.hub.history import TemporalForm, TemporalQuery, temporal_entity
from cityioc.hub.query import QueryParams, run_query
from cityioc.hub.readings import Reading, ReadingsResult, decide_readings
from cityioc.hub.temporal import parse_aggr_methods, parse_duration_ms, parse_last_n, parse_timerel
from cityioc.web import openapi
from cityioc.web.auth import WRITERS, Role
from cityioc.web.ngsi_http import (
    Call,
    json_response,
    may_read,
    ngsi_call,
    require_tenant,
    split_list,
    strip_context,
)
from cityioc.web.ngsi_query import Selected, query_params, query_params_from_body

router = APIRouter(prefix="/ngsi-ld/v1/temporal", tags=["NGSI-LD temporal"])


@dataclass
class TemporalArgs:
    """The temporal query parameters, shared by every temporal read (a FastAPI dependency)."""

    timerel: str | None = None
    timeAt: str | None = None
    endTimeAt: str | None = None
    timeproperty: str | None = None
    lastN: str | None = None
    attrs: str | None = None
    options: str | None = None
    format: str | None = None
    aggrMethods: str | None = None
    aggrPeriodDuration: str | None = None


Temporal = Annotated[TemporalArgs, Depends()]


def _temporal_query(call: Call, args: TemporalArgs) -> TemporalQuery:
    opts = set(split_list(args.options))
    form: TemporalForm = "normalized"
    if args.format == "aggregatedValues" or "aggregatedValues" in opts:
        form = "aggregatedValues"
    elif args.format in ("temporalValues", "simplified") or "temporalValues" in opts:
        form = "temporalValues"
    elif args.format not in (None, "normalized"):
        raise BadRequestData(f"unknown format {args.format!r}")
    if form == "aggregatedValues" and not args.aggrMethods:
        raise BadRequestData("format=aggregatedValues needs aggrMethods")
    names = split_list(args.attrs)
    return TemporalQuery(
        time_range=parse_timerel(args.timerel, args.timeAt, args.endTimeAt, args.timeproperty),
        form=form,
        attrs=frozenset(call.context.expand_term(a) for a in names) if names else None,
        last_n=parse_last_n(args.lastN),
        methods=parse_aggr_methods(args.aggrMethods)
        if form == "aggregatedValues" and args.aggrMethods
        else (),
        period=parse_duration_ms(args.aggrPeriodDuration) if args.aggrPeriodDuration else None,
    )


@router.get("/entities/{entity_id}", summary="History of one entity")
async def temporal_retrieve(request: Request, entity_id: str, args: Temporal) -> Response:
    call = await ngsi_call(request, with_body=False)
    await require_tenant(call)
    query = _temporal_query(call, args)
    store = call.city.store
    current = (await store.get_entities(call.tenant, [entity_id])).get(entity_id)
    if current is not None and not may_read(call, current):
        raise ResourceNotFound(f"entity {entity_id} does not exist")
    if current is None and call.principal.is_public:  # the public sees public types' history
        raise ResourceNotFound(f"entity {entity_id} does not exist")
    found = await temporal_entity(store, call.tenant, entity_id, current, query)
    if found is None:
        raise ResourceNotFound(f"entity {entity_id} has no history")
    return json_response(call, call.context.compact_entity_keys(found))


@router.get("/entities", summary="Query the history of entities")
async def temporal_query(request: Request, args: Temporal, sel: Selected) -> Response:
    call = await ngsi_call(request, with_body=False)
    await require_tenant(call)
    query = _temporal_query(call, args)
    params = query_params(call, sel)
    return await _temporal_response(call, params, query)


@router.post(
    "/entityOperations/query",
    summary="Query the history of entities with a Query object",
    openapi_extra=openapi.QUERY,
)
async def temporal_query_post(
    request: Request,
    limit: int | None = None,
    offset: int = 0,
    count: bool = False,
    options: str | None = None,
    format: str | None = None,
    aggrMethods: str | None = None,
    aggrPeriodDuration: str | None = None,
) -> Response:
    call = await ngsi_call(request, with_body=True)
    await require_tenant(call)
    params, tq = query_params_from_body(call, call.body, limit=limit, offset=offset, count=count)
    attrs = call.body.get("attrs")
    last_n = tq.get("lastN")
    args = TemporalArgs(
        timerel=tq.get("timerel"),
        timeAt=tq.get("timeAt"),
        endTimeAt=tq.get("endTimeAt"),
        timeproperty=tq.get("timeproperty"),
        lastN=str(last_n) if last_n is not None else None,
        attrs=",".join(attrs) if isinstance(attrs, list) else None,
        options=options,
        format=format,
        aggrMethods=aggrMethods or _joined(tq.get("aggrMethods")),
        aggrPeriodDuration=aggrPeriodDuration or tq.get("aggrPeriodDuration"),
    )
    query = _temporal_query(call, args)
    return await _temporal_response(call, params, query)


def _joined(value: Any) -> str | None:
    return ",".join(value) if isinstance(value, list) else value if isinstance(value, str) else None


async def _temporal_response(call: Call, params: QueryParams, query: TemporalQuery) -> Response:
    ctx = call.context
    entities, total = await run_query(call.city.store, call.tenant, params, ctx.expand_term)
    out = []
    for entity in (e for e in entities if may_read(call, e)):
        found = await temporal_entity(call.city.store, call.tenant, entity.id, entity, query)
        if found is not None:
            out.append(ctx.compact_entity_keys(found))
    headers = {"NGSILD-Results-Count": str(total)} if total is not None else {}
    return json_response(call, out, headers=headers)


@router.delete("/entities/{entity_id}", status_code=204, summary="Delete the history of an entity")
async def temporal_delete(request: Request, entity_id: str) -> Response:
    call = await ngsi_call(request, with_body=False)
    call.principal.require(Role.operator)
    removed = await call.city.store.delete_series(call.tenant, entity_id, None)
    if removed == 0 and not await call.city.store.get_entities(call.tenant, [entity_id]):
        raise ResourceNotFound(f"entity {entity_id} has no history")
    return Response(status_code=204)


def _instances_to_readings(
    eid: str, etype: str | None, body: dict[str, Any], now: int
) -> list[Reading]:
    out = []
    for name, raw in body.items():
        if name in ("id", "type", "@context"):
            continue
        items = raw if isinstance(raw, list) else [raw]
        for item in items:
            attr = normalize_attribute(name, item)
            for inst in attr if isinstance(attr, list) else [attr]:
                observed = inst.get("observedAt")
                t = parse_datetime_ms(observed) if observed else now
                out.append(
                    Reading(
                        eid,
                        name,
                        comparable_value(inst),
                        t,
                        inst.get("datasetId", ""),
                        inst.get("unitCode"),
                        etype,
                    )
                )
    return out


@router.post(
    "/entities", summary="Create or add to the history of an entity", openapi_extra=openapi.ENTITY
)
async def temporal_upsert(request: Request) -> Response:
    call = await ngsi_call(request, with_body=True)
    call.principal.require(*WRITERS)
    body = call.context.expand_entity_keys(strip_context(call.body))
    eid, etype = (
        body.get("id") if isinstance(body, dict) else None,
        body.get("type") if isinstance(body, dict) else None,
    )
    if not isinstance(eid, str) or ":" not in eid or not isinstance(etype, str):
        raise BadRequestData("a temporal entity needs an id (URI) and a type")
    existed = bool(await call.city.store.get_entities(call.tenant, [eid]))
    await _store_instances(call, eid, etype, body)
    return Response(
        status_code=204 if existed else 201,
        headers={} if existed else {"Location": f"/ngsi-ld/v1/temporal/entities/{eid}"},
    )


@router.post(
    "/entities/{entity_id}/attrs",
    status_code=204,
    summary="Add attribute instances to the history",
    openapi_extra=openapi.FRAGMENT,
)
async def temporal_append(request: Request, entity_id: str) -> Response:
    call = await ngsi_call(request, with_body=True)
    call.principal.require(*WRITERS)
    body = call.context.expand_entity_keys(strip_context(call.body))
    if not isinstance(body, dict):
        raise BadRequestData("attribute instances must be sent as a JSON object")
    if not await call.city.store.get_entities(call.tenant, [entity_id]):
        raise ResourceNotFound(f"entity {entity_id} does not exist")
    await _store_instances(call, entity_id, None, body)
    return Response(status_code=204)


async def _store_instances(call: Call, eid: str, etype: str | None, body: dict[str, Any]) -> None:
    now = call.city.clock.now_ms()
    readings = list(enumerate(_instances_to_readings(eid, etype, body, now)))
    result = ReadingsResult()
    decide = decide_readings(
        readings, result, now, call.principal.actor, auto_create=etype is not None
    )
    await call.city.hub.apply(call.tenant, [eid], decide, call.principal.actor)
    if result.errors:
        raise result.errors[0][1]

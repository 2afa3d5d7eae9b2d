"""NGSI-LD entity and attribute endpoints (ETSI GS CIM 009, context information management)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from cityioc.core.errors import BadRequestData, ResourceNotFound
from cityioc.hub.models import StoredEntity
from cityioc.hub.operations import AttrOutcome
from cityioc.hub.query import QueryParams, run_query
from cityioc.hub.render import View, feature_collection, geojson_feature, render
from cityioc.web import openapi
from cityioc.web.auth import WRITERS, Role
from cityioc.web.ngsi_http import (
    GEO_JSON,
    Call,
    json_response,
    may_read,
    ngsi_call,
    require_tenant,
    split_list,
    strip_context,
)
from cityioc.web.ngsi_query import Selected, query_params, query_params_from_body

router = APIRouter(prefix="/ngsi-ld/v1", tags=["NGSI-LD entities"])


def _options(options: str | None, fmt: str | None) -> tuple[str, bool]:
    opts = set(split_list(options))
    form = "normalized"
    if fmt in ("simplified", "keyValues") or "keyValues" in opts or "simplified" in opts:
        form = "keyValues"
    elif fmt == "concise" or "concise" in opts:
        form = "concise"
    elif fmt not in (None, "normalized", "geojson"):
        raise BadRequestData(f"unknown format {fmt!r}")
    return form, "sysAttrs" in opts


def _view(
    call: Call, form: str, sys_attrs: bool, attrs: str | None, pick: str | None, omit: str | None
) -> View:
    ctx = call.context
    names = split_list(pick) or split_list(attrs)
    keep = None
    if names:
        keep = frozenset(ctx.expand_term(n) for n in names if n not in ("id", "type"))
    dropped = frozenset(ctx.expand_term(n) for n in split_list(omit) if n not in ("id", "type"))
    picked = set(split_list(pick))
    return View(
        form=form,  # type: ignore[arg-type]
        attrs=keep,
        omit=dropped,
        keep_id=not pick or "id" in picked,
        keep_type=not pick or "type" in picked,
        sys_attrs=sys_attrs,
    )


def _output(
    call: Call, entities: list[StoredEntity], view: View, geoproperty: str | None, geo: bool
) -> Any:
    rendered = [call.context.compact_entity_keys(render(e, view)) for e in entities]
    if not geo:
        return rendered
    prop = call.context.expand_term(geoproperty or "location")
    return feature_collection(
        [geojson_feature(e, view, prop, r) for e, r in zip(entities, rendered, strict=True)]
    )


@router.post("/entities", status_code=201, summary="Create an entity", openapi_extra=openapi.ENTITY)
async def create_entity(request: Request) -> Response:
    call = await ngsi_call(request, with_body=True)
    call.principal.require(*WRITERS)
    body = call.context.expand_entity_keys(strip_context(call.body))
    eid = await call.city.hub.create(call.tenant, body, call.principal.actor)
    return Response(
        status_code=201, headers={"Location": f"/ngsi-ld/v1/entities/{quote(eid, safe=':')}"}
    )


@router.get("/entities", summary="Query entities")
async def query_entities(
    request: Request,
    sel: Selected,
    attrs: str | None = None,
    pick: str | None = None,
    omit: str | None = None,
    options: str | None = None,
    format: str | None = None,
) -> Response:
    call = await ngsi_call(request, with_body=False, geo=True)
    await require_tenant(call)
    params = query_params(call, sel, attrs)
    return await _query_response(call, params, options, format, attrs, pick, omit, sel.geoproperty)


async def _query_response(
    call: Call,
    params: QueryParams,
    options: str | None,
    format: str | None,
    attrs: str | None,
    pick: str | None,
    omit: str | None,
    geoproperty: str | None,
) -> Response:
    form, sys_attrs = _options(options, format)
    view = _view(call, form, sys_attrs, attrs, pick, omit)
    ctx = call.context
    entities, total = await run_query(call.city.store, call.tenant, params, ctx.expand_term)
    entities = [e for e in entities if may_read(call, e)]
    geo = format == "geojson" or call.accept == GEO_JSON
    headers = {"NGSILD-Results-Count": str(total)} if total is not None else {}
    if geo:
        call.accept = GEO_JSON
    return json_response(call, _output(call, entities, view, geoproperty, geo), headers=headers)


@router.post(
    "/entityOperations/query",
    summary="Query entities with a Query object",
    openapi_extra=openapi.QUERY,
)
async def query_entities_post(
    request: Request,
    limit: int | None = None,
    offset: int = 0,
    count: bool = False,
    options: str | None = None,
    format: str | None = None,
) -> Response:
    call = await ngsi_call(request, with_body=True, geo=True)
    await require_tenant(call)
    params, _ = query_params_from_body(call, call.body, limit=limit, offset=offset, count=count)
    attrs = call.body.get("attrs")
    attr_text = ",".join(attrs) if isinstance(attrs, list) else None
    return await _query_response(call, params, options, format, attr_text, None, None, None)


@router.get("/entities/{entity_id}", summary="Retrieve an entity")
async def retrieve_entity(
    request: Request,
    entity_id: str,
    attrs: str | None = None,
    pick: str | None = None,
    omit: str | None = None,
    options: str | None = None,
    format: str | None = None,
    geoproperty: str | None = None,
    type: str | None = None,
) -> Response:
    call = await ngsi_call(request, with_body=False, geo=True)
    await require_tenant(call)
    entity = await call.city.hub.get(call.tenant, entity_id)
    if not may_read(call, entity) or (type and call.context.expand_type(type) not in entity.types):
        raise ResourceNotFound(f"entity {entity_id} does not exist")
    form, sys_attrs = _options(options, format)
    view = _view(call, form, sys_attrs, attrs, pick, omit)
    rendered = call.context.compact_entity_keys(render(entity, view))
    if format == "geojson" or call.accept == GEO_JSON:
        call.accept = GEO_JSON
        prop = call.context.expand_term(geoproperty or "location")
        return json_response(call, geojson_feature(entity, view, prop, rendered))
    return json_response(call, rendered)


@router.patch(
    "/entities/{entity_id}",
    status_code=204,
    summary="Merge into an entity",
    openapi_extra=openapi.FRAGMENT,
)
async def merge_entity(request: Request, entity_id: str) -> Response:
    call = await ngsi_call(request, with_body=True)
    call.principal.require(*WRITERS)
    body = call.context.expand_entity_keys(strip_context(call.body))
    await call.city.hub.merge(call.tenant, entity_id, body, call.principal.actor)
    return Response(status_code=204)


@router.put(
    "/entities/{entity_id}",
    status_code=204,
    summary="Replace an entity",
    openapi_extra=openapi.ENTITY,
)
async def replace_entity(request: Request, entity_id: str) -> Response:
    call = await ngsi_call(request, with_body=True)
    call.principal.require(*WRITERS)
    body = call.context.expand_entity_keys(strip_context(call.body))
    await call.city.hub.replace(call.tenant, entity_id, body, call.principal.actor)
    return Response(status_code=204)


@router.delete("/entities/{entity_id}", status_code=204, summary="Delete an entity")
async def delete_entity(request: Request, entity_id: str) -> Response:
    call = await ngsi_call(request, with_body=False)
    call.principal.require(Role.operator)
    await call.city.hub.delete(call.tenant, entity_id, call.principal.actor)
    return Response(status_code=204)


def _attr_outcome(call: Call, outcome: AttrOutcome) -> Response:
    if not outcome.not_updated:
        return Response(status_code=204)
    compact = call.context.compact_iri
    return json_response(
        call,
        {
            "updated": [compact(a) for a in outcome.updated],
            "notUpdated": [
                {"attributeName": compact(a), "reason": r} for a, r in outcome.not_updated
            ],
        },
        status=207,
    )


@router.post(
    "/entities/{entity_id}/attrs", summary="Append attributes", openapi_extra=openapi.FRAGMENT
)
async def append_attrs(request: Request, entity_id: str, options: str | None = None) -> Response:
    call = await ngsi_call(request, with_body=True)
    call.principal.require(*WRITERS)
    body = call.context.expand_entity_keys(strip_context(call.body))
    outcome = await call.city.hub.append_attrs(
        call.tenant,
        entity_id,
        body,
        call.principal.actor,
        no_overwrite="noOverwrite" in split_list(options),
    )
    return _attr_outcome(call, outcome)


@router.patch(
    "/entities/{entity_id}/attrs", summary="Update attributes", openapi_extra=openapi.FRAGMENT
)
async def update_attrs(request: Request, entity_id: str) -> Response:
    call = await ngsi_call(request, with_body=True)
    call.principal.require(*WRITERS)
    body = call.context.expand_entity_keys(strip_context(call.body))
    outcome = await call.city.hub.update_attrs(call.tenant, entity_id, body, call.principal.actor)
    return _attr_outcome(call, outcome)


@router.patch(
    "/entities/{entity_id}/attrs/{attr}",
    status_code=204,
    summary="Partial attribute update",
    openapi_extra=openapi.ATTRIBUTE,
)
async def patch_attr(request: Request, entity_id: str, attr: str) -> Response:
    call = await ngsi_call(request, with_body=True)
    call.principal.require(*WRITERS)
    name = call.context.expand_term(attr)
    fragment = _expand_fragment(call, strip_context(call.body))
    await call.city.hub.patch_attr(call.tenant, entity_id, name, fragment, call.principal.actor)
    return Response(status_code=204)


@router.put(
    "/entities/{entity_id}/attrs/{attr}",
    status_code=204,
    summary="Replace an attribute",
    openapi_extra=openapi.ATTRIBUTE,
)
async def replace_attr(request: Request, entity_id: str, attr: str) -> Response:
    call = await ngsi_call(request, with_body=True)
    call.principal.require(*WRITERS)
    name = call.context.expand_term(attr)
    fragment = _expand_fragment(call, strip_context(call.body))
    await call.city.hub.replace_attr(call.tenant, entity_id, name, fragment, call.principal.actor)
    return Response(status_code=204)


@router.delete("/entities/{entity_id}/attrs/{attr}", status_code=204, summary="Delete an attribute")
async def delete_attr(
    request: Request,
    entity_id: str,
    attr: str,
    datasetId: str | None = None,
    deleteAll: bool = Query(False),
) -> Response:
    call = await ngsi_call(request, with_body=False)
    call.principal.require(*WRITERS)
    await call.city.hub.delete_attr(
        call.tenant,
        entity_id,
        call.context.expand_term(attr),
        call.principal.actor,
        dataset_id=datasetId,
        delete_all=deleteAll,
    )
    return Response(status_code=204)


def _expand_fragment(call: Call, fragment: Any) -> Any:
    """Sub-attribute names inside one attribute fragment are expanded like an entity's."""
    if not isinstance(fragment, dict):
        raise BadRequestData("an attribute fragment must be a JSON object")
    expanded = call.context.expand_entity_keys({"id": "urn:x:x", "type": "T", "a": fragment})
    return expanded[next(k for k in expanded if k not in ("id", "type"))]

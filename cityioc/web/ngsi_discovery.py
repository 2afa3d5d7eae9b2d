"""NGSI-LD discovery: which entity types and attributes exist (``/types``, ``/attributes``)."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request
from starlette.responses import Response

from cityioc.core.errors import ResourceNotFound
from cityioc.web.ngsi_http import Call, json_response, ngsi_call, require_tenant

router = APIRouter(prefix="/ngsi-ld/v1", tags=["NGSI-LD discovery"])


def _list_id(kind: str, names: list[str]) -> str:
    digest = hashlib.sha1("\n".join(names).encode(), usedforsecurity=False).hexdigest()[:16]
    return f"urn:ngsi-ld:{kind}:{digest}"


async def _types(call: Call) -> dict[str, list[str]]:
    await require_tenant(call)
    types = await call.city.store.entity_types(call.tenant)
    if call.principal.is_public:
        public = {call.context.expand_type(t) for t in call.city.settings.public_types}
        types = {t: a for t, a in types.items() if t in public}
    return types


@router.get("/types", summary="Entity types in use")
async def list_types(request: Request, details: bool = False) -> Response:
    call = await ngsi_call(request, with_body=False)
    types = await _types(call)
    ctx = call.context
    if details:
        return json_response(
            call,
            [
                {
                    "id": t,
                    "type": "EntityType",
                    "typeName": ctx.compact_iri(t),
                    "attributeNames": [ctx.compact_iri(a) for a in attrs],
                }
                for t, attrs in types.items()
            ],
        )
    names = [ctx.compact_iri(t) for t in types]
    return json_response(
        call, {"id": _list_id("EntityTypeList", names), "type": "EntityTypeList", "typeList": names}
    )


@router.get("/types/{type_name}", summary="Details of one entity type")
async def type_info(request: Request, type_name: str) -> Response:
    call = await ngsi_call(request, with_body=False)
    types = await _types(call)
    ctx = call.context
    expanded = ctx.expand_type(type_name)
    if expanded not in types:
        raise ResourceNotFound(f"no entity of type {type_name}")
    counts = await call.city.store.type_counts(call.tenant)
    return json_response(
        call,
        {
            "id": expanded,
            "type": "EntityTypeInfo",
            "typeName": ctx.compact_iri(expanded),
            "entityCount": counts.get(expanded, 0),
            "attributeDetails": [
                {"id": a, "type": "Attribute", "attributeName": ctx.compact_iri(a)}
                for a in types[expanded]
            ],
        },
    )


def _attributes(types: dict[str, list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for etype, attrs in types.items():
        for attr in attrs:
            out.setdefault(attr, []).append(etype)
    return dict(sorted(out.items()))


@router.get("/attributes", summary="Attributes in use")
async def list_attributes(request: Request, details: bool = False) -> Response:
    call = await ngsi_call(request, with_body=False)
    attrs = _attributes(await _types(call))
    ctx = call.context
    if details:
        return json_response(
            call,
            [
                {
                    "id": a,
                    "type": "Attribute",
                    "attributeName": ctx.compact_iri(a),
                    "typeNames": [ctx.compact_iri(t) for t in ts],
                }
                for a, ts in attrs.items()
            ],
        )
    names = [ctx.compact_iri(a) for a in attrs]
    return json_response(
        call,
        {"id": _list_id("AttributeList", names), "type": "AttributeList", "attributeList": names},
    )


@router.get("/attributes/{attr}", summary="Details of one attribute")
async def attribute_info(request: Request, attr: str) -> Response:
    call = await ngsi_call(request, with_body=False)
    attrs = _attributes(await _types(call))
    ctx = call.context
    expanded = ctx.expand_term(attr)
    if expanded not in attrs:
        raise ResourceNotFound(f"no attribute named {attr}")
    return json_response(
        call,
        {
            "id": expanded,
            "type": "Attribute",
            "attributeName": ctx.compact_iri(expanded),
            "typeNames": [ctx.compact_iri(t) for t in attrs[expanded]],
        },
    )

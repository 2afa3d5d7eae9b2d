"""NGSI-LD batch entity operations, with per-entity results (207 on partial success)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from cityioc.core.errors import BadRequestData
from cityioc.hub.service import BatchResult
from cityioc.web import openapi
from cityioc.web.auth import WRITERS, Role
from cityioc.web.errors import problem
from cityioc.web.ngsi_http import Call, json_response, ngsi_call, strip_context

router = APIRouter(prefix="/ngsi-ld/v1/entityOperations", tags=["NGSI-LD batch"])


async def _run(request: Request, op: str, options: str | None) -> Response:
    call = await ngsi_call(request, with_body=True)
    call.principal.require(*((Role.operator,) if op == "delete" else WRITERS))
    if not isinstance(call.body, list):
        raise BadRequestData("a batch operation takes a JSON array")
    if len(call.body) > call.city.settings.max_batch_items:
        raise BadRequestData(f"a batch holds at most {call.city.settings.max_batch_items} items")
    bodies = call.body
    if op != "delete":
        bodies = [
            call.context.expand_entity_keys(strip_context(b)) if isinstance(b, dict) else b
            for b in bodies
        ]
    result = await call.city.hub.batch(call.tenant, op, bodies, call.principal.actor, options or "")
    return _respond(call, op, result)


def _respond(call: Call, op: str, result: BatchResult) -> Response:
    if not result.errors:
        if op == "create" or (op == "upsert" and result.created):
            return json_response(call, result.created, status=201)  # the ids of new entities
        return Response(status_code=204)
    body = {
        "success": result.success,
        "errors": [{"entityId": eid, "error": problem(err)} for eid, err in result.errors],
    }
    return json_response(call, body, status=207)


@router.post("/create", summary="Batch create", openapi_extra=openapi.BATCH)
async def batch_create(request: Request) -> Response:
    return await _run(request, "create", None)


@router.post("/upsert", summary="Batch upsert", openapi_extra=openapi.BATCH)
async def batch_upsert(request: Request, options: str | None = None) -> Response:
    return await _run(request, "upsert", options)


@router.post("/update", summary="Batch update", openapi_extra=openapi.BATCH)
async def batch_update(request: Request, options: str | None = None) -> Response:
    return await _run(request, "update", options)


@router.post("/merge", summary="Batch merge", openapi_extra=openapi.BATCH)
async def batch_merge(request: Request) -> Response:
    return await _run(request, "merge", None)


@router.post("/delete", summary="Batch delete", openapi_extra=openapi.BATCH)
async def batch_delete(request: Request) -> Response:
    return await _run(request, "delete", None)

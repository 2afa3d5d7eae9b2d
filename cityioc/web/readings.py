"""The compact bulk readings endpoint for devices and gateways (JSON array or NDJSON)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from cityioc.core.errors import BadRequestData, CityError, UnsupportedMediaType
from cityioc.web import openapi
from cityioc.web.auth import WRITERS
from cityioc.web.errors import problem
from cityioc.web.ngsi_http import JSON, media_type, parse_json, principal_of, read_body, tenant_of
from cityioc.web.state import city

router = APIRouter(prefix="/api/v1", tags=["ingestion"])
NDJSON = ("application/x-ndjson", "application/ndjson", "application/jsonl")


def _items(kind: str, raw: bytes) -> tuple[list[Any], list[tuple[int, CityError]]]:
    if kind in NDJSON:
        items: list[Any] = []
        bad: list[tuple[int, CityError]] = []
        for index, line in enumerate(raw.splitlines()):
            if not line.strip():
                continue
            try:
                items.append(orjson.loads(line))
            except orjson.JSONDecodeError as err:
                items.append(None)
                bad.append((index, BadRequestData(f"line {index + 1} is not valid JSON: {err}")))
        return items, bad
    if kind != JSON:
        raise UnsupportedMediaType(f"send {JSON} (an array of readings) or application/x-ndjson")
    body = parse_json(raw)
    if isinstance(body, dict) and isinstance(body.get("readings"), list):
        body = body["readings"]
    if not isinstance(body, list):
        raise BadRequestData("the body must be a JSON array of readings")
    return body, []


@router.post(
    "/readings",
    openapi_extra=openapi.READINGS,
    summary="Ingest a batch of readings",
    description=(
        "Each reading is {entity, attribute, value, observedAt?, type?, unitCode?, datasetId?}. "
        "The response is sent only after the good readings are committed; bad ones are reported "
        "by index without rejecting the rest (207)."
    ),
)
async def ingest_readings(request: Request, autoCreate: bool = True) -> Response:
    c = city(request)
    principal = await principal_of(request)
    principal.require(*WRITERS)
    tenant = tenant_of(request)
    raw = await read_body(request, c.settings.max_body_bytes)
    items, bad = _items(media_type(request), raw)
    if len(items) > c.settings.max_batch_items:
        raise BadRequestData(f"a batch holds at most {c.settings.max_batch_items} readings")
    result = await c.hub.ingest_readings(
        tenant, items, principal.actor, auto_create=autoCreate, known_errors=bad
    )
    c.metrics.readings_ingested.inc(result.accepted)
    body = {
        "accepted": result.accepted,
        "rejected": len(result.errors),
        "errors": [{"index": i, "error": problem(err)} for i, err in result.errors],
    }
    status = 200 if not result.errors else 207
    return Response(orjson.dumps(body), status_code=status, media_type=JSON)

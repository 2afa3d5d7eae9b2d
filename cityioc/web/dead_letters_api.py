"""Dead letters over HTTP (admin only): list, show, replay (optionally corrected), purge."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from cityioc.core.clock import iso_ms
from cityioc.core.errors import BadRequestData
from cityioc.ingest import dead_letters
from cityioc.ingest.dead_letters import DeadLetter, DeadLetterFilter
from cityioc.web.auth import Role
from cityioc.web.ngsi_http import principal_of, read_body
from cityioc.web.state import city

router = APIRouter(prefix="/api/v1/dead-letters", tags=["dead letters"])
PURGE_PAGE = 1000
CORRECTED_PAYLOAD = {
    "requestBody": {
        "required": False,
        "description": "The corrected payload, byte for byte (empty: replay the stored one).",
        "content": {
            "application/json": {
                "schema": {},
                "example": {"pm25": 12.3, "observedAt": "2026-11-25T10:05:00Z"},
            },
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def render(letter: DeadLetter, *, payload: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": letter.id,
        "tenant": letter.tenant,
        "receivedAt": iso_ms(letter.received_at),
        "sourceKind": letter.source_kind,
        "source": letter.source,
        "position": letter.position,
        "clientId": letter.client_id,
        "reason": letter.reason,
        "detail": letter.detail,
        "status": letter.status,
        "replayedAt": iso_ms(letter.replayed_at) if letter.replayed_at else None,
        "payloadBytes": len(letter.payload),
    }
    if payload:
        try:
            out["payload"] = letter.payload.decode("utf-8")
        except UnicodeDecodeError:
            out["payloadBase64"] = base64.b64encode(letter.payload).decode()
    return out


def _filter(
    tenant: str | None,
    status: str | None,
    reason: str | None,
    source_kind: str | None,
    source: str | None,
    limit: int = 50,
    offset: int = 0,
) -> DeadLetterFilter:
    return DeadLetterFilter(tenant, status, reason, source_kind, source, limit, offset)


Tenant = Annotated[str | None, Query(description="only this tenant (default: all)")]
Status = Annotated[str | None, Query(description="new, replayed or purged")]
Reason = Annotated[str | None, Query(description="e.g. malformed_json, unknown_entity")]
SourceKind = Annotated[str | None, Query(alias="sourceKind", description="mqtt, file or http")]
Source = Annotated[str | None, Query(description="exact topic or file name")]


@router.get("", summary="List dead letters, newest first (admin)")
async def list_letters(
    request: Request,
    tenant: Tenant = None,
    status: Status = None,
    reason: Reason = None,
    source_kind: SourceKind = None,
    source: Source = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    (await principal_of(request)).require(Role.admin)
    wanted = _filter(tenant, status, reason, source_kind, source, limit, offset)
    found, total = await dead_letters.find(city(request).store, wanted)
    return {"total": total, "items": [render(d, payload=False) for d in found]}


@router.get("/{letter_id}", summary="One dead letter with its raw payload (admin)")
async def show_letter(request: Request, letter_id: int) -> dict[str, Any]:
    (await principal_of(request)).require(Role.admin)
    return render(await dead_letters.show(city(request).store, letter_id), payload=True)


@router.post(
    "/{letter_id}/replay",
    openapi_extra=CORRECTED_PAYLOAD,
    summary="Send a dead letter through its ingest path again (admin)",
    description=(
        "With an empty body the stored payload is replayed; a body is taken as the corrected "
        "payload, byte for byte. The letter is marked replayed only when everything in it was "
        "stored; a repeat of a reading replaces it, so replaying stores a message once. "
        "`force=true` replays a letter already replayed."
    ),
)
async def replay_letter(request: Request, letter_id: int, force: bool = False) -> dict[str, Any]:
    principal = await principal_of(request)
    principal.require(Role.admin)
    c = city(request)
    corrected = await read_body(request, c.settings.max_body_bytes)
    outcome = await dead_letters.replay(
        c.store,
        c.hub,
        letter_id,
        dead_letters.default_replayers(c.settings),
        c.clock,
        actor=principal.actor,
        payload=corrected or None,
        force=force,
    )
    return {
        "id": letter_id,
        "replayed": outcome.replayed,
        "stored": outcome.stored,
        "problems": outcome.problems,
    }


@router.delete("/{letter_id}", status_code=204, summary="Purge one dead letter (admin)")
async def purge_letter(request: Request, letter_id: int) -> Response:
    (await principal_of(request)).require(Role.admin)
    c = city(request)
    await dead_letters.show(c.store, letter_id)  # 404 when there is none
    await dead_letters.purge(c.store, [letter_id], c.clock)
    return Response(status_code=204)


class PurgeFilter(BaseModel):
    tenant: str | None = None
    status: str | None = Field(default=None, description="new, replayed (default: both)")
    reason: str | None = None
    sourceKind: str | None = None  # noqa: N815 (JSON member name)
    source: str | None = None


@router.post("/purge", summary="Purge every dead letter matching a filter (admin)")
async def purge_matching(request: Request, body: PurgeFilter) -> dict[str, int]:
    (await principal_of(request)).require(Role.admin)
    c = city(request)
    if body.status not in (None, "new", "replayed"):
        raise BadRequestData("status must be new or replayed")
    statuses = [body.status] if body.status else ["new", "replayed"]
    purged = 0
    for status in statuses:
        while True:  # each round purges a page, so the next one starts at offset 0
            wanted = _filter(
                body.tenant, status, body.reason, body.sourceKind, body.source, PURGE_PAGE
            )
            page, _ = await dead_letters.find(c.store, wanted)
            if not page:
                break
            purged += await dead_letters.purge(c.store, [d.id for d in page], c.clock)
    return {"purged": purged}

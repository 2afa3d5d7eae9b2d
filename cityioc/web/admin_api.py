"""Administration over HTTP: API keys (shown once, stored hashed) and the audit trail."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from cityioc.core.clock import iso_ms
from cityioc.core.errors import ResourceNotFound
from cityioc.store.port import ApiKeyRecord
from cityioc.web.auth import Role
from cityioc.web.ngsi_http import principal_of, tenant_of
from cityioc.web.state import city

router = APIRouter(prefix="/api/v1", tags=["administration"])


class NewKey(BaseModel):
    role: str = Field(description="admin, operator, agency, viewer or ingest")
    name: str = Field(min_length=1, max_length=200, description="who or what the key is for")
    agency: str | None = Field(
        default=None, description="for role agency: the Organization entity id it acts for"
    )


def _public(record: ApiKeyRecord) -> dict[str, Any]:
    return {
        "id": record.key_id,
        "role": record.role,
        "name": record.name,
        "createdAt": iso_ms(record.created_at),
        "agency": record.agency,
        "createdBy": record.created_by,
        "revokedAt": iso_ms(record.revoked_at) if record.revoked_at else None,
    }


@router.get("/admin/keys", summary="List API keys (never the keys themselves)")
async def list_keys(request: Request) -> list[dict[str, Any]]:
    (await principal_of(request)).require(Role.admin)
    return [_public(r) for r in await city(request).store.list_api_keys()]


@router.post("/admin/keys", status_code=201, summary="Create an API key; the key is returned once")
async def create_key(request: Request, body: NewKey) -> dict[str, Any]:
    principal = await principal_of(request)
    principal.require(Role.admin)
    record, secret = await city(request).keys.create(
        body.role, body.name, principal.actor, agency=body.agency
    )
    return {**_public(record), "key": secret}


@router.delete("/admin/keys/{key_id}", status_code=204, summary="Revoke an API key")
async def revoke_key(request: Request, key_id: str) -> Response:
    principal = await principal_of(request)
    principal.require(Role.admin)
    if not await city(request).keys.revoke(key_id, principal.actor):
        raise ResourceNotFound(f"no active key {key_id}")
    return Response(status_code=204)


@router.get("/audit", summary="Audit trail of one subject (an entity id, a key id …)")
async def audit(request: Request, subject: str, limit: int = 100) -> list[dict[str, Any]]:
    (await principal_of(request)).require(Role.operator)
    trail = await city(request).store.audit_trail(
        tenant_of(request), subject, min(max(limit, 1), 1000)
    )
    return [
        {
            "at": iso_ms(r.at),
            "actor": r.actor,
            "action": r.action,
            "subject": r.subject,
            "detail": r.detail,
        }
        for r in trail
    ]

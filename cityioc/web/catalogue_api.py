"""The incident catalogue over HTTP (admin only): areas and categories to read, agencies and
standard operating procedures to read, create and change. HTTP mapping only: the work is in
``cityioc.incidents.catalogue_admin``."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol

from fastapi import APIRouter, Request

from cityioc.hub.service import Hub
from cityioc.incidents import catalogue_admin as catalogue
from cityioc.web.auth import Principal, Role
from cityioc.web.ngsi_http import parse_json, principal_of, read_body, tenant_of
from cityioc.web.state import city

router = APIRouter(prefix="/api/v1/admin", tags=["administration"])

AGENCY_BODY = {
    "requestBody": {
        "required": True,
        "description": "An agency as in the pack's agencies.yaml (docs/packs.md).",
        "content": {
            "application/json": {
                "schema": {"type": "object"},
                "example": {
                    "kind": "department",
                    "name": {"vi": "Sở Xây dựng", "en": "Department of Construction"},
                    "areas": ["74"],
                    "categories": ["ngap-nuoc"],
                    "email": "sxd@example.gov.vn",
                },
            }
        },
    }
}
SOP_BODY = {
    "requestBody": {
        "required": True,
        "description": "A procedure as in the pack's sops.yaml (docs/incidents.md).",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


async def _admin(request: Request) -> Principal:
    principal = await principal_of(request)
    principal.require(Role.admin)
    return principal


async def _body(request: Request) -> Any:
    return parse_json(await read_body(request, city(request).settings.max_body_bytes))


class _Save(Protocol):
    def __call__(
        self, hub: Hub, tenant: str, local: str, data: Any, actor: str, *, create: bool
    ) -> Awaitable[dict[str, Any]]: ...


async def _save(request: Request, save: _Save, local: str | None = None) -> dict[str, Any]:
    """Create (no ``local``: the body names the id) or replace a record, as the admin."""
    principal = await _admin(request)
    body = await _body(request)
    create = local is None
    if local is None:
        local = str(body.get("id") or "") if isinstance(body, dict) else ""
    return await save(
        city(request).hub, tenant_of(request), local, body, principal.actor, create=create
    )


@router.get("/areas", summary="Administrative areas with their parent and agencies (admin)")
async def list_areas(request: Request) -> dict[str, Any]:
    await _admin(request)
    return {"items": await catalogue.list_areas(city(request).store, tenant_of(request))}


@router.get("/categories", summary="Incident categories with their default agency (admin)")
async def list_categories(request: Request) -> dict[str, Any]:
    await _admin(request)
    return {"items": await catalogue.list_categories(city(request).store, tenant_of(request))}


@router.get("/agencies", summary="Agencies, as in the pack's agencies.yaml (admin)")
async def list_agencies(request: Request) -> dict[str, Any]:
    await _admin(request)
    return {"items": await catalogue.list_agencies(city(request).store, tenant_of(request))}


@router.get("/agencies/{agency_id}", summary="One agency (admin)")
async def get_agency(request: Request, agency_id: str) -> dict[str, Any]:
    await _admin(request)
    return await catalogue.get_agency(city(request).store, tenant_of(request), agency_id)


@router.post(
    "/agencies", status_code=201, openapi_extra=AGENCY_BODY, summary="Create an agency (admin)"
)
async def create_agency(request: Request) -> dict[str, Any]:
    return await _save(request, catalogue.save_agency)


@router.put(
    "/agencies/{agency_id}",
    openapi_extra=AGENCY_BODY,
    summary="Replace an agency (admin); the next incident is routed with it",
)
async def replace_agency(request: Request, agency_id: str) -> dict[str, Any]:
    return await _save(request, catalogue.save_agency, agency_id)


@router.get("/sops", summary="Standard operating procedures (admin)")
async def list_sops(request: Request) -> dict[str, Any]:
    await _admin(request)
    return {"items": await catalogue.list_sops(city(request).store, tenant_of(request))}


@router.get("/sops/{sop_id}", summary="One standard operating procedure (admin)")
async def get_sop(request: Request, sop_id: str) -> dict[str, Any]:
    await _admin(request)
    return await catalogue.get_sop(city(request).store, tenant_of(request), sop_id)


@router.post("/sops", status_code=201, openapi_extra=SOP_BODY, summary="Create a procedure (admin)")
async def create_sop(request: Request) -> dict[str, Any]:
    return await _save(request, catalogue.save_sop)


@router.put(
    "/sops/{sop_id}",
    openapi_extra=SOP_BODY,
    summary="Replace a procedure (admin); incidents started later follow it",
)
async def replace_sop(request: Request, sop_id: str) -> dict[str, Any]:
    return await _save(request, catalogue.save_sop, sop_id)

"""NGSI-LD ``/subscriptions``: partner systems ask to be notified of changes (HTTP mapping only)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response

from cityioc.core.errors import BadRequestData
from cityioc.hub.query import check_paging
from cityioc.subscriptions.document import render_subscription
from cityioc.web import openapi
from cityioc.web.auth import Role
from cityioc.web.ngsi_http import json_response, ngsi_call, require_tenant, strip_context

router = APIRouter(prefix="/ngsi-ld/v1", tags=["NGSI-LD subscriptions"])

# Subscribing makes the server call out to a URL: not for the public, nor for read-only keys.
SUBSCRIBERS = (Role.operator, Role.agency)


@router.post(
    "/subscriptions",
    status_code=201,
    summary="Create a subscription",
    openapi_extra=openapi.SUBSCRIPTION,
)
async def create_subscription(request: Request) -> Response:
    call = await ngsi_call(request, with_body=True)
    call.principal.require(*SUBSCRIBERS)
    body = strip_context(call.body)
    context = body.get("jsonldContext") if isinstance(body, dict) else None
    if context is not None and not isinstance(context, str):
        raise BadRequestData("jsonldContext must be the URL of a JSON-LD context")
    principal = call.principal
    role = principal.role.value if principal.role is not None else None
    sid = await call.city.subscriptions.create(
        call.tenant,
        body,
        call.context,
        context or call.context.body_context,
        principal.actor,
        (role, principal.agency),
    )
    return Response(
        status_code=201, headers={"Location": f"/ngsi-ld/v1/subscriptions/{quote(sid, safe=':')}"}
    )


@router.get("/subscriptions", summary="List subscriptions")
async def list_subscriptions(
    request: Request, limit: int | None = None, offset: int = 0, count: bool = False
) -> Response:
    call = await ngsi_call(request, with_body=False)
    call.principal.require(*SUBSCRIBERS)
    await require_tenant(call)
    settings = call.city.settings
    page = settings.default_page_size if limit is None else limit
    check_paging(page, offset, settings.max_page_size)
    subs = await call.city.subscriptions.list(call.tenant)
    now = call.city.clock.now_ms()
    shown = [render_subscription(s, call.context, now) for s in subs[offset : offset + page]]
    headers = {"NGSILD-Results-Count": str(len(subs))} if count else {}
    return json_response(call, shown, headers=headers)


@router.get("/subscriptions/{subscription_id}", summary="Retrieve a subscription")
async def retrieve_subscription(request: Request, subscription_id: str) -> Response:
    call = await ngsi_call(request, with_body=False)
    call.principal.require(*SUBSCRIBERS)
    sub = await call.city.subscriptions.get(call.tenant, subscription_id)
    return json_response(call, render_subscription(sub, call.context, call.city.clock.now_ms()))


@router.patch(
    "/subscriptions/{subscription_id}",
    status_code=204,
    summary="Update a subscription",
    openapi_extra=openapi.SUBSCRIPTION,
)
async def update_subscription(request: Request, subscription_id: str) -> Response:
    call = await ngsi_call(request, with_body=True)
    call.principal.require(*SUBSCRIBERS)
    await call.city.subscriptions.update(
        call.tenant, subscription_id, strip_context(call.body), call.context, call.principal.actor
    )
    return Response(status_code=204)


@router.delete("/subscriptions/{subscription_id}", status_code=204, summary="Delete a subscription")
async def delete_subscription(request: Request, subscription_id: str) -> Response:
    call = await ngsi_call(request, with_body=False)
    call.principal.require(*SUBSCRIBERS)
    await call.city.subscriptions.delete(call.tenant, subscription_id, call.principal.actor)
    return Response(status_code=204)

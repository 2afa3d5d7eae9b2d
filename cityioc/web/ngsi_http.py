"""HTTP details shared by the NGSI-LD routers: bounded bodies, media types, @context, tenants,
principals and JSON responses."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Request
from starlette.responses import Response

from cityioc.core.errors import (
    BadRequestData,
    InvalidRequest,
    NonexistentTenant,
    NotAcceptable,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
)
from cityioc.hub.context import ActiveContext, context_from_request
from cityioc.hub.models import StoredEntity
from cityioc.web.auth import Principal, key_from_headers
from cityioc.web.session_api import COOKIE as SESSION_COOKIE
from cityioc.web.session_api import session_principal
from cityioc.web.state import City, city

JSON = "application/json"
JSON_LD = "application/ld+json"
GEO_JSON = "application/geo+json"
MERGE_PATCH = "application/merge-patch+json"
DEFAULT_TENANT = "default"
_TENANT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(slots=True)
class Call:
    """One NGSI-LD request, parsed: who, which tenant, which @context, what body."""

    city: City
    principal: Principal
    tenant: str
    context: ActiveContext
    body: Any
    accept: str


async def principal_of(request: Request) -> Principal:
    """Who calls: an API key when one is sent, else a signed-in user's session cookie (which
    must bring its CSRF token to change anything), else the public."""
    c = city(request)
    key = key_from_headers(request.headers.get("authorization"), request.headers.get("x-api-key"))
    session = request.cookies.get(SESSION_COOKIE) if key is None else None
    if session:
        return await session_principal(request, c, session)
    principal = await c.keys.authenticate(key)
    if principal.is_public and c.settings.require_auth_for_reads:
        raise Unauthorized("this deployment serves no public data: send an API key")
    return principal


def tenant_of(request: Request) -> str:
    raw = request.headers.get("ngsild-tenant")
    if raw is None or raw == "":
        return DEFAULT_TENANT
    if not _TENANT.match(raw):
        raise BadRequestData("NGSILD-Tenant must be 1–64 letters, digits, '_' or '-'")
    return raw


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is larger than the limit of {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body is larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def parse_json(raw: bytes) -> Any:
    if not raw:
        raise InvalidRequest("the request body is empty")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        raise InvalidRequest(f"the body is not valid JSON: {err}") from err


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def negotiate(request: Request, *, geo: bool = False) -> str:
    accept = request.headers.get("accept", "*/*").lower()
    offered = [JSON, JSON_LD] + ([GEO_JSON] if geo else [])
    for part in accept.split(","):
        kind = part.split(";")[0].strip()
        if kind in offered:
            return kind
        if kind in ("*/*", "application/*"):
            return JSON
    raise NotAcceptable(f"cannot produce {accept}; offered: {', '.join(offered)}")


async def ngsi_call(request: Request, *, with_body: bool, geo: bool = False) -> Call:
    c = city(request)
    principal = await principal_of(request)
    tenant = tenant_of(request)
    accept = negotiate(request, geo=geo)
    body: Any = None
    kind = media_type(request)
    if with_body:
        if kind not in (JSON, JSON_LD, MERGE_PATCH):
            raise UnsupportedMediaType(
                f"Content-Type must be {JSON} or {JSON_LD}, not {kind or 'missing'}"
            )
        body = parse_json(await read_body(request, c.settings.max_body_bytes))
    spec = context_from_request(kind if with_body else None, request.headers.get("link"), body)
    context = await c.contexts.resolve(spec)
    return Call(c, principal, tenant, context, body, accept)


def may_read(call: Call, entity: StoredEntity) -> bool:
    """The public reads the public types; everyone reads only what the modules' rules allow."""
    principal = call.principal
    if principal.is_public:
        public = {call.context.expand_type(t) for t in call.city.settings.public_types}
        if not any(t in public for t in entity.types):
            return False
    role = principal.role.value if principal.role is not None else None
    return call.city.visibility.allows(role, principal.agency, entity)


async def require_tenant(call: Call) -> None:
    if call.tenant != DEFAULT_TENANT and not await call.city.store.tenant_exists(call.tenant):
        raise NonexistentTenant(f"tenant {call.tenant} does not exist")


def split_list(text: str | None) -> list[str]:
    """A comma-separated query parameter as a list, blanks dropped."""
    return [part.strip() for part in text.split(",") if part.strip()] if text else []


def strip_context(body: Any) -> Any:
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if k != "@context"}
    return body


def json_response(
    call: Call, payload: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    out_headers = dict(headers or {})
    media = call.accept
    if media == JSON_LD:
        payload = _with_context(payload, call.context)
    elif call.context.link_header:
        out_headers["Link"] = call.context.link_header
    return Response(
        orjson.dumps(payload), status_code=status, media_type=media, headers=out_headers
    )


def _with_context(payload: Any, context: ActiveContext) -> Any:
    url = context.body_context
    if isinstance(payload, dict):
        return {**payload, "@context": url}
    if isinstance(payload, list):
        return [{**p, "@context": url} if isinstance(p, dict) else p for p in payload]
    return payload

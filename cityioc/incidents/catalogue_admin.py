"""Editing the incident catalogue at run time: agencies and procedures (SOPs), areas and
categories to read.

The catalogue lives as the NGSI-LD entities a pack load wrote (``catalogue.py`` reads them for
routing on every incident, so an edit here applies to the next incident without a restart). An
edit is validated with the pack's own models and checked against the known areas and categories,
so nothing is saved that routing would then skip; it is written through the hub (history, audit
with the actor, the live stream) in the same form as a pack load writes it.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from cityioc.core.errors import AlreadyExists, BadRequestData, ResourceNotFound
from cityioc.hub.context import core_context
from cityioc.hub.models import StoredEntity
from cityioc.hub.service import Hub
from cityioc.incidents.catalogue import SOP_TYPE, sop_body
from cityioc.incidents.codec import key_values
from cityioc.incidents.models import AGENCY_PREFIX, AREA_PREFIX, local_part
from cityioc.incidents.sop import SopTemplate
from cityioc.packs.entities import agency_entity, agency_id
from cityioc.packs.models import Agency
from cityioc.packs.validation import message, where
from cityioc.store.port import EntityQuery, Store

AREA, AGENCY, CATEGORY = "AdministrativeArea", "Organization", "ReportCategory"
ILLUSTRATIVE = " (illustrative)"
DEFAULT_PROVIDER = "cityioc"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
M = TypeVar("M", bound=BaseModel)


# --- reading -----------------------------------------------------------------------------------


async def entities(store: Store, tenant: str, etype: str) -> list[StoredEntity]:
    query = EntityQuery(types=(core_context().expand_type(etype),), limit=None)
    found, _ = await store.query_entities(tenant, query)
    return sorted(found, key=lambda e: e.id)


async def list_areas(store: Store, tenant: str) -> list[dict[str, Any]]:
    """Every area with its parent and the agencies that name it (not their ancestors')."""
    handled: dict[str, list[str]] = {}
    for entity in await entities(store, tenant, AGENCY):
        for code in _area_codes(key_values(entity).get("refResponsibleArea")):
            handled.setdefault(code, []).append(local_part(entity.id))
    out = []
    for entity in await entities(store, tenant, AREA):
        kv = key_values(entity)
        code = str(kv.get("code") or local_part(entity.id))
        parent = kv.get("refParent")
        out.append(
            {
                "code": code,
                "level": kv.get("level"),
                "unitType": kv.get("unitType"),
                "name": {"vi": kv.get("name"), "en": kv.get("alternateName") or kv.get("name")},
                "parent": parent.removeprefix(AREA_PREFIX) if isinstance(parent, str) else None,
                "validFrom": kv.get("validFrom"),
                "validTo": kv.get("validTo"),
                "agencies": handled.get(code, []),
            }
        )
    return out


async def list_categories(store: Store, tenant: str) -> list[dict[str, Any]]:
    out = []
    for entity in await entities(store, tenant, CATEGORY):
        kv = key_values(entity)
        default = kv.get("refDefaultAgency")
        out.append(
            {
                "code": str(kv.get("code") or local_part(entity.id)),
                "name": {"vi": kv.get("name"), "en": kv.get("alternateName") or kv.get("name")},
                "capCategory": kv.get("capCategory"),
                "defaultAgency": str(default or "").removeprefix(AGENCY_PREFIX) or None,
            }
        )
    return out


async def list_agencies(store: Store, tenant: str) -> list[dict[str, Any]]:
    return [_agency_view(e) for e in await entities(store, tenant, AGENCY)]


async def get_agency(store: Store, tenant: str, local: str) -> dict[str, Any]:
    return _agency_view(await _one(store, tenant, agency_id(local), "agency", local))


async def list_sops(store: Store, tenant: str) -> list[dict[str, Any]]:
    return [_sop_view(e) for e in await entities(store, tenant, SOP_TYPE)]


async def get_sop(store: Store, tenant: str, local: str) -> dict[str, Any]:
    return _sop_view(await _one(store, tenant, sop_id(local), "procedure", local))


def sop_id(local: str) -> str:
    return f"urn:ngsi-ld:{SOP_TYPE}:{local}"


# --- writing -----------------------------------------------------------------------------------


async def save_agency(
    hub: Hub, tenant: str, local: str, data: Any, actor: str, *, create: bool
) -> dict[str, Any]:
    """Create (``create``) or replace the agency ``local``; 400 names the field and the reason."""
    fields = _with_id(data, local)
    if "{" in local or "for_each_area" in fields:
        raise BadRequestData("id: templates ({code}, for_each_area) belong in the pack's files")
    agency = validated(Agency, fields)
    if agency.valid_from and agency.valid_to and agency.valid_to <= agency.valid_from:
        raise BadRequestData("valid_to: must be after valid_from (valid_to is exclusive)")
    if agency.email is not None and not _EMAIL.match(agency.email):
        raise BadRequestData(f"email: {agency.email!r} is not an e-mail address")
    await _known(hub.store, tenant, AREA, "areas", agency.areas)
    await _known(hub.store, tenant, CATEGORY, "categories", agency.categories)
    eid = agency_id(local)
    stored = await _existing(hub.store, tenant, eid, "agency", local, create=create)
    provider = DEFAULT_PROVIDER
    if stored is not None:
        provider = str(key_values(stored).get("dataProvider") or provider)
        provider = provider.removesuffix(ILLUSTRATIVE)
    body = core_context().expand_entity_keys(agency_entity(agency, provider, "admin").body)
    await _write(hub, tenant, eid, body, actor, create=create)
    return _agency_view(await hub.get(tenant, eid))


async def save_sop(
    hub: Hub, tenant: str, local: str, data: Any, actor: str, *, create: bool
) -> dict[str, Any]:
    """Create (``create``) or replace the procedure ``local``; a running incident keeps the steps
    it started with (they are copied into it), new incidents get the new ones."""
    template = validated(SopTemplate, _with_id(data, local))
    codes = [*template.categories, *([template.category] if template.category else [])]
    await _known(hub.store, tenant, CATEGORY, "categories", codes)
    eid = sop_id(local)
    await _existing(hub.store, tenant, eid, "procedure", local, create=create)
    body = core_context().expand_entity_keys(sop_body(template))
    await _write(hub, tenant, eid, body, actor, create=create)
    return _sop_view(await hub.get(tenant, eid))


def validated(model: type[M], data: dict[str, Any]) -> M:
    """``data`` as ``model``, or a 400 naming every field in error and why."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problems = [f"{where(tuple(e['loc']))}: {message(e)}" for e in err.errors()]
        raise BadRequestData("; ".join(problems)) from err


# --- helpers -----------------------------------------------------------------------------------


def _with_id(data: Any, local: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadRequestData("the body must be a JSON object")
    given = data.get("id", local)
    if given != local:
        raise BadRequestData(f"id: the body says {given!r} but the address says {local!r}")
    fields = {k: v for k, v in data.items() if k != "problems"}  # as the list returned it
    return {**fields, "id": local}


async def _known(store: Store, tenant: str, etype: str, field: str, codes: list[str]) -> None:
    if not codes:
        return
    known = {local_part(e.id) for e in await entities(store, tenant, etype)}
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise BadRequestData(f"{field}: unknown {', '.join(repr(c) for c in unknown)}")


async def _one(store: Store, tenant: str, eid: str, what: str, local: str) -> StoredEntity:
    found = (await store.get_entities(tenant, [eid])).get(eid)
    if found is None:
        raise ResourceNotFound(f"no {what} {local!r}")
    return found


async def _existing(
    store: Store, tenant: str, eid: str, what: str, local: str, *, create: bool
) -> StoredEntity | None:
    found = (await store.get_entities(tenant, [eid])).get(eid)
    if create and found is not None:
        raise AlreadyExists(f"the {what} {local!r} already exists")
    if not create and found is None:
        raise ResourceNotFound(f"no {what} {local!r}")
    return found


async def _write(
    hub: Hub, tenant: str, eid: str, body: dict[str, Any], actor: str, *, create: bool
) -> None:
    # Replace, not merge: an attribute the edit removed (an e-mail, an end date) must go. The
    # pack defines every attribute of these entities, so nothing else is lost.
    if create:
        await hub.create(tenant, body, actor)
    else:
        await hub.replace(tenant, eid, body, actor)


def _area_codes(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(a).removeprefix(AREA_PREFIX) for a in items if isinstance(a, str) and a]


def _agency_view(entity: StoredEntity) -> dict[str, Any]:
    """The agency in the pack's words (``agencies.yaml``), with ``problems`` routing would
    skip it for (an entity edited by other means)."""
    kv = key_values(entity)
    given = kv.get("contactPoint")
    contact: dict[str, Any] = given if isinstance(given, dict) else {}
    data: dict[str, Any] = {
        "id": local_part(entity.id),
        "kind": kv.get("agencyKind", "other"),
        "name": {"vi": kv.get("name"), "en": kv.get("alternateName") or kv.get("name")},
        "short_name": kv.get("shortName"),
        "areas": _area_codes(kv.get("refResponsibleArea")),
        "categories": list(kv.get("responsibleCategories") or []),
        "valid_from": kv.get("validFrom"),
        "valid_to": kv.get("validTo"),
        "illustrative": bool(kv.get("illustrative", False)),
        "phone": contact.get("telephone"),
        "email": contact.get("email"),
        "website": contact.get("url"),
        "note": kv.get("note"),
    }
    return _view(Agency, {k: v for k, v in data.items() if v is not None})


def _sop_view(entity: StoredEntity) -> dict[str, Any]:
    kv = key_values(entity)
    data: dict[str, Any] = {
        "id": local_part(entity.id),
        "name": {"vi": kv.get("name"), "en": kv.get("alternateName") or kv.get("name")},
        "description": kv.get("description"),
        "categories": kv.get("categories") or [],
        "alert_sub_categories": kv.get("alertSubCategories") or [],
        "category": kv.get("incidentCategory"),
        "steps": kv.get("steps") or [],
    }
    return _view(SopTemplate, {k: v for k, v in data.items() if v is not None})


def _view(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    try:
        parsed = model.model_validate(data)
    except ValidationError as err:
        problems = [f"{where(tuple(e['loc']))}: {message(e)}" for e in err.errors()]
        return {**data, "problems": problems}
    return {**parsed.model_dump(mode="json", exclude_none=True), "problems": []}

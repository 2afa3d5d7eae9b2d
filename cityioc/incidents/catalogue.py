"""The ``Directory`` incidents route with: from a validated pack, or from the hub's entities.

At run time the server reads what a pack load wrote (``AdministrativeArea``, ``Organization``,
``ReportCategory``, ``StandardOperatingProcedure``, ``SlaPolicy`` entities), so a deployment
loads its pack once and every process sees the same city; tests may build it from a pack directly.
An entity that no longer fits the pack's models (edited by hand) is skipped with a warning.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from cityioc.hub.context import core_context
from cityioc.hub.models import StoredEntity
from cityioc.incidents.codec import key_values
from cityioc.incidents.models import AGENCY_PREFIX, AREA_PREFIX, agency_urn, local_part
from cityioc.incidents.routing import Directory
from cityioc.incidents.sla import SlaPolicy, SlaTable
from cityioc.incidents.sop import SopTemplate
from cityioc.packs.areas import AreaIndex
from cityioc.packs.models import Agency, Area, Category
from cityioc.packs.pack import Pack
from cityioc.store.port import EntityQuery, Store

log = logging.getLogger(__name__)

SOP_TYPE = "StandardOperatingProcedure"
SLA_TYPE = "SlaPolicy"


def directory_of_pack(pack: Pack) -> Directory:
    emails = {agency_urn(a.id): a.email for a in pack.agencies if a.email}
    return Directory(
        areas=pack.areas,
        agencies=pack.agencies,
        categories={c.code: c for c in pack.categories},
        sops=list(pack.section("sops") or []),
        sla=SlaTable.of(list(pack.section("sla") or [])),
        emails=emails,
    )


async def load_directory(store: Store, tenant: str, timezone: str) -> Directory:
    """The directory from the entities a pack load wrote into ``tenant``."""
    areas = [a for e in await _all(store, tenant, "AdministrativeArea") if (a := _area(e))]
    agencies, emails = [], {}
    for entity in await _all(store, tenant, "Organization"):
        agency = _agency(entity)
        if agency is not None:
            agencies.append(agency)
            contact = key_values(entity).get("contactPoint")
            if isinstance(contact, dict) and isinstance(contact.get("email"), str):
                emails[entity.id] = contact["email"]
    categories = [c for e in await _all(store, tenant, "ReportCategory") if (c := _category(e))]
    sops = [s for e in await _all(store, tenant, SOP_TYPE) if (s := _sop(e))]
    policies = [p for e in await _all(store, tenant, SLA_TYPE) if (p := _policy(e))]
    return Directory(
        areas=AreaIndex(sorted(areas, key=lambda a: a.code), timezone),
        agencies=sorted(agencies, key=lambda a: a.id),
        categories={c.code: c for c in categories},
        sops=sorted(sops, key=lambda s: s.id),
        sla=SlaTable.of(policies),
        emails=emails,
    )


# --- what the pack sections write (the inverse of the readers below) ---------------------------


def sop_body(template: SopTemplate) -> dict[str, Any]:
    data = template.model_dump(mode="json", exclude_none=True)
    body: dict[str, Any] = {
        "id": f"urn:ngsi-ld:{SOP_TYPE}:{template.id}",
        "type": SOP_TYPE,
        "name": _p(template.name.vi),
        "alternateName": _p(template.name.en),
        "categories": _p(list(template.categories)),
        "alertSubCategories": _p(list(template.alert_sub_categories)),
        "steps": _p(data["steps"]),
    }
    if template.description is not None:
        body["description"] = _p(data["description"])
    if template.category is not None:
        body["incidentCategory"] = _p(template.category)
    return body


def sla_body(policy: SlaPolicy) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": f"urn:ngsi-ld:{SLA_TYPE}:{policy.id}",
        "type": SLA_TYPE,
        "deadlines": _p(
            {
                severity: {"acknowledgeMinutes": d.acknowledge, "resolveMinutes": d.resolve}
                for severity, d in policy.deadlines.items()
            }
        ),
    }
    if policy.category is not None:
        body["category"] = _p(policy.category)
    return body


def _p(value: Any) -> dict[str, Any]:
    return {"type": "Property", "value": value}


# --- readers ----------------------------------------------------------------------------------


async def _all(store: Store, tenant: str, etype: str) -> list[StoredEntity]:
    query = EntityQuery(types=(core_context().expand_type(etype),), limit=None)
    found, _ = await store.query_entities(tenant, query)
    return found


def _area(entity: StoredEntity) -> Area | None:
    kv = key_values(entity)
    location = kv.get("location") if isinstance(kv.get("location"), dict) else None
    point = location if location and location.get("type") == "Point" else None
    parent = kv.get("refParent")
    return _valid(
        Area,
        entity,
        {
            "code": kv.get("code", local_part(entity.id)),
            "level": kv.get("level"),
            "unit_type": kv.get("unitType"),
            "name_vi": kv.get("name"),
            "name_en": kv.get("alternateName") or kv.get("name"),
            "parent": parent.removeprefix(AREA_PREFIX) if isinstance(parent, str) else None,
            "valid_from": _day(kv.get("validFrom")),
            "valid_to": _day(kv.get("validTo")),
            "lon": point["coordinates"][0] if point else None,
            "lat": point["coordinates"][1] if point else None,
            "approximate": bool(kv.get("locationApproximate", False)),
            "boundary": location if location and point is None else None,
        },
    )


def _agency(entity: StoredEntity) -> Agency | None:
    kv = key_values(entity)
    areas = kv.get("refResponsibleArea")
    codes = [
        str(a).removeprefix(AREA_PREFIX) for a in (areas if isinstance(areas, list) else [areas])
    ]
    return _valid(
        Agency,
        entity,
        {
            "id": entity.id.removeprefix(AGENCY_PREFIX),
            "kind": kv.get("agencyKind", "other"),
            "name": {"vi": kv.get("name"), "en": kv.get("alternateName") or kv.get("name")},
            "areas": [c for c in codes if c and c != "None"],
            "categories": list(kv.get("responsibleCategories") or []),
            "valid_from": _day(kv.get("validFrom")),
            "valid_to": _day(kv.get("validTo")),
        },
    )


def _category(entity: StoredEntity) -> Category | None:
    kv = key_values(entity)
    default = kv.get("refDefaultAgency")
    data: dict[str, Any] = {
        "code": kv.get("code", local_part(entity.id)),
        "name": {"vi": kv.get("name"), "en": kv.get("alternateName") or kv.get("name")},
        "cap_category": kv.get("capCategory", "Other"),
        "default_agency": str(default or "").removeprefix(AGENCY_PREFIX),
    }
    if kv.get("alertCategory") and kv.get("alertSubCategory"):
        data["alert"] = {"category": kv["alertCategory"], "sub_category": kv["alertSubCategory"]}
    return _valid(Category, entity, data)


def _sop(entity: StoredEntity) -> SopTemplate | None:
    kv = key_values(entity)
    data: dict[str, Any] = {
        "id": local_part(entity.id),
        "name": {"vi": kv.get("name"), "en": kv.get("alternateName") or kv.get("name")},
        "categories": kv.get("categories") or [],
        "alert_sub_categories": kv.get("alertSubCategories") or [],
        "steps": kv.get("steps") or [],
    }
    if isinstance(kv.get("description"), dict):
        data["description"] = kv["description"]
    if kv.get("incidentCategory"):
        data["category"] = kv["incidentCategory"]
    return _valid(SopTemplate, entity, data)


def _policy(entity: StoredEntity) -> SlaPolicy | None:
    kv = key_values(entity)
    deadlines = kv.get("deadlines") if isinstance(kv.get("deadlines"), dict) else {}
    data: dict[str, Any] = {
        "id": local_part(entity.id),
        "category": kv.get("category"),
        "deadlines": {
            severity: {
                "acknowledge": d.get("acknowledgeMinutes"),
                "resolve": d.get("resolveMinutes"),
            }
            for severity, d in (deadlines or {}).items()
            if isinstance(d, dict)
        },
    }
    return _valid(SlaPolicy, entity, data)


M = TypeVar("M", bound=BaseModel)


def _valid(model: type[M], entity: StoredEntity, data: dict[str, Any]) -> M | None:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        log.warning("skipping %s for incident routing: %s", entity.id, err.errors()[:1])
        return None


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else None

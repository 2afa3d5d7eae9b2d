"""Incoming attributes → the stored normalized form, with NGSI-LD's validation rules.

Input may be normalized (``{"type": "Property", "value": …}``), concise (``{"value": …}``,
``{"object": …}``, a bare GeoJSON geometry, or a bare value) or keyValues (bare values). Names are
already expanded by the caller; values are never touched except ``observedAt`` (normalised to UTC
milliseconds) and GeoJSON (validated).
"""

from __future__ import annotations

from typing import Any

from cityioc.core.clock import iso_ms, parse_datetime_ms
from cityioc.core.errors import BadRequestData
from cityioc.core.geo import validate_geometry
from cityioc.hub.context_active import ATTRIBUTE_MEMBERS
from cityioc.hub.models import AttributeObject, AttributeValue

ATTRIBUTE_TYPES = frozenset(
    {"Property", "Relationship", "GeoProperty", "LanguageProperty", "JsonProperty", "VocabProperty"}
)
GEOJSON_TYPES = frozenset(
    {
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "Polygon",
        "MultiPolygon",
        "GeometryCollection",
    }
)
# Members of an attribute object that are not sub-attributes: the same list the @context
# expansion uses, so that what it leaves unexpanded is exactly what is not a sub-attribute here.
MEMBERS = ATTRIBUTE_MEMBERS
NULL = "urn:ngsi-ld:null"


def is_geometry(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("type") in GEOJSON_TYPES
        and ("coordinates" in value or "geometries" in value)
    )


def normalize_attribute(name: str, raw: Any, *, key_values: bool = False) -> AttributeValue:
    """One attribute (or a list of its instances) in stored form; raises BadRequestData."""
    if (
        isinstance(raw, list)
        and not key_values
        and raw
        and all(_looks_like_instance(i) for i in raw)
    ):
        instances = [normalize_instance(name, item) for item in raw]
        seen: set[str] = set()
        for inst in instances:
            ds = inst.get("datasetId", "")
            if ds in seen:
                raise BadRequestData(f"attribute {name!r}: two instances with datasetId {ds!r}")
            seen.add(ds)
        return (
            instances[0] if len(instances) == 1 and "datasetId" not in instances[0] else instances
        )
    if key_values:
        if is_geometry(raw):
            return {"type": "GeoProperty", "value": validate_geometry(raw)}
        return {"type": "Property", "value": raw}
    return normalize_instance(name, raw)


def _looks_like_instance(item: Any) -> bool:
    return isinstance(item, dict) and (
        item.get("type") in ATTRIBUTE_TYPES or "value" in item or "object" in item
    )


def normalize_instance(name: str, raw: Any) -> AttributeObject:
    if not isinstance(raw, dict):
        if raw is None:
            raise BadRequestData(f"attribute {name!r}: null is not a valid value")
        return {"type": "Property", "value": raw}
    if is_geometry(raw):
        return {"type": "GeoProperty", "value": validate_geometry(raw)}
    kind = raw.get("type")
    if kind is None:
        kind = _infer_kind(raw)
    elif kind not in ATTRIBUTE_TYPES:
        raise BadRequestData(
            f"attribute {name!r}: type must be one of {', '.join(sorted(ATTRIBUTE_TYPES))},"
            f" not {kind!r}"
        )
    out: AttributeObject = {"type": kind}
    if kind == "Relationship":
        obj = raw.get("object")
        if not isinstance(obj, str) and not (
            isinstance(obj, list) and obj and all(isinstance(o, str) for o in obj)
        ):
            raise BadRequestData(f"attribute {name!r}: a Relationship needs an 'object' URI")
        out["object"] = obj
    elif kind == "LanguageProperty":
        lmap = raw.get("languageMap")
        if not isinstance(lmap, dict):
            raise BadRequestData(f"attribute {name!r}: a LanguageProperty needs a 'languageMap'")
        out["languageMap"] = lmap
    else:
        if "value" not in raw or raw["value"] is None:
            raise BadRequestData(f"attribute {name!r}: a {kind} needs a non-null 'value'")
        value = raw["value"]
        if kind == "GeoProperty":
            value = validate_geometry(value)
        out["value"] = value
    for member in ("unitCode", "datasetId"):
        if member in raw:
            if not isinstance(raw[member], str):
                raise BadRequestData(f"attribute {name!r}: {member} must be a string")
            out[member] = raw[member]
    if "observedAt" in raw:
        out["observedAt"] = normalize_datetime(raw["observedAt"], f"{name}.observedAt")
    for key, sub in raw.items():
        if key not in MEMBERS and not key.startswith("@"):
            out[key] = normalize_instance(f"{name}.{key}", sub)
    return out


def _infer_kind(raw: dict[str, Any]) -> str:
    if "object" in raw:
        return "Relationship"
    if "languageMap" in raw:
        return "LanguageProperty"
    if "value" in raw:
        return "GeoProperty" if is_geometry(raw["value"]) else "Property"
    # A compound value without NGSI-LD members is a concise Property whose value is the object.
    raise BadRequestData(
        "an attribute object needs a 'type', 'value' or 'object' member"
        f" (got keys {', '.join(sorted(raw))})"
    )


def normalize_datetime(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise BadRequestData(f"{where} must be an ISO 8601 date-time string")
    try:
        return iso_ms(parse_datetime_ms(value))
    except ValueError as err:
        raise BadRequestData(f"{where}: {value!r} is not an ISO 8601 date-time") from err


def instances(attr: AttributeValue) -> list[AttributeObject]:
    return attr if isinstance(attr, list) else [attr]


def merge_instance(existing: AttributeValue | None, new: AttributeObject) -> AttributeValue:
    """Put ``new`` in place of the instance with the same datasetId (or add it)."""
    if existing is None:
        return [new] if "datasetId" in new else new
    ds = new.get("datasetId")
    kept = [i for i in instances(existing) if i.get("datasetId") != ds]
    merged = [*kept, new]
    if len(merged) == 1 and "datasetId" not in merged[0]:
        return merged[0]
    return merged


def comparable_value(inst: AttributeObject) -> Any:
    """What the time series records for an instance."""
    if inst.get("type") == "Relationship":
        return inst.get("object")
    if inst.get("type") == "LanguageProperty":
        return inst.get("languageMap")
    return inst.get("value")

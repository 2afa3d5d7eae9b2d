"""Stored entities → the NGSI-LD representations: normalized, keyValues (simplified), concise,
GeoJSON. Works on expanded names; the caller compacts against the client's @context.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

from cityioc.core.clock import iso_ms
from cityioc.hub.attributes import instances
from cityioc.hub.models import AttributeObject, AttributeValue, StoredEntity

Form = Literal["normalized", "keyValues", "concise"]


@dataclass(frozen=True, slots=True)
class View:
    form: Form = "normalized"
    attrs: frozenset[str] | None = None  # expanded attribute names to keep (None: all)
    omit: frozenset[str] = frozenset()
    keep_id: bool = True
    keep_type: bool = True
    sys_attrs: bool = False


def render(entity: StoredEntity, view: View) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if view.keep_id:
        out["id"] = entity.id
    if view.keep_type:
        out["type"] = entity.types[0] if len(entity.types) == 1 else list(entity.types)
    for name, attr in entity.doc.items():
        if (view.attrs is not None and name not in view.attrs) or name in view.omit:
            continue
        out[name] = render_attribute(attr, view.form)
    if view.sys_attrs and view.form != "keyValues":
        out["createdAt"] = iso_ms(entity.created_at)
        out["modifiedAt"] = iso_ms(entity.modified_at)
    return out


def render_attribute(attr: AttributeValue, form: Form) -> Any:
    if isinstance(attr, list):
        return [render_instance(i, form) for i in attr]
    return render_instance(attr, form)


def render_instance(inst: AttributeObject, form: Form) -> Any:
    if form == "normalized":
        return inst
    kind = inst.get("type")
    if form == "keyValues":
        if kind == "Relationship":
            return inst.get("object")
        if kind == "LanguageProperty":
            return inst.get("languageMap")
        return inst.get("value")
    concise = {k: v for k, v in inst.items() if k != "type"}
    if kind == "Property" and list(concise) == ["value"] and not isinstance(concise["value"], dict):
        return concise["value"]
    return {
        k: render_instance(v, form) if isinstance(v, dict) and "type" in v else v
        for k, v in concise.items()
    }


def geojson_feature(
    entity: StoredEntity, view: View, geoproperty: str, rendered: dict[str, Any] | None = None
) -> dict[str, Any]:
    props = rendered if rendered is not None else render(entity, view)
    props = {k: v for k, v in props.items() if k != "id"}
    geometry = None
    attr = entity.doc.get(geoproperty)
    if attr is not None:
        geometry = instances(attr)[0].get("value")
    return {"id": entity.id, "type": "Feature", "geometry": geometry, "properties": props}


def feature_collection(features: Collection[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}

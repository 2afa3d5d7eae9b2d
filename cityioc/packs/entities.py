"""A pack's contents as NGSI-LD entities (normalized form, core-context names).

Ids: ``urn:ngsi-ld:AdministrativeArea:<code>``, ``urn:ngsi-ld:Organization:<id>``,
``urn:ngsi-ld:ReportCategory:<code>``, ``urn:ngsi-ld:Road:<id>``, and sensors and segments as
``urn:ngsi-ld:<Type>:<local id>``. Names are Vietnamese in ``name`` and English in
``alternateName``; other bilingual texts are Properties whose value is ``{"vi": …, "en": …}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cityioc.packs.areas import AreaIndex
from cityioc.packs.fleet import GroupSpec, SensorSpec
from cityioc.packs.models import Agency, Area, Category, Road, Text

Attr = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Desired:
    """An entity a load should make true: ``body`` always, ``initial`` only where absent."""

    body: dict[str, Any]
    origin: str  # where it comes from in the pack, for errors: "areas.csv:12"
    initial: dict[str, Attr] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.body["id"])


def area_id(code: str) -> str:
    return f"urn:ngsi-ld:AdministrativeArea:{code}"


def agency_id(local: str) -> str:
    return f"urn:ngsi-ld:Organization:{local}"


def category_id(code: str) -> str:
    return f"urn:ngsi-ld:ReportCategory:{code}"


def road_id(local: str) -> str:
    return f"urn:ngsi-ld:Road:{local}"


def prop(value: Any) -> Attr:
    return {"type": "Property", "value": value}


def rel(target: str | list[str]) -> Attr:
    return {"type": "Relationship", "object": target}


def geo(geometry: dict[str, Any]) -> Attr:
    return {"type": "GeoProperty", "value": geometry}


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def text(value: Text) -> dict[str, str]:
    return {"vi": value.vi, "en": value.en}


def _validity(body: dict[str, Any], valid_from: Any, valid_to: Any) -> None:
    if valid_from is not None:
        body["validFrom"] = prop(valid_from.isoformat())
    if valid_to is not None:
        body["validTo"] = prop(valid_to.isoformat())


def area_entity(area: Area, provider: str, file: str) -> Desired:
    if area.boundary is not None:
        location, kind = area.boundary, "boundary"
    else:
        assert area.lon is not None and area.lat is not None  # checked by the areas section
        location, kind = point(area.lon, area.lat), "centroid"
    body: dict[str, Any] = {
        "id": area_id(area.code),
        "type": "AdministrativeArea",
        "code": prop(area.code),
        "name": prop(area.name_vi),
        "alternateName": prop(area.name_en),
        "level": prop(area.level),
        "unitType": prop(area.unit_type),
        "location": geo(location),
        "locationKind": prop(kind),
        "locationApproximate": prop(area.approximate),
        "dataProvider": prop(provider),
    }
    _validity(body, area.valid_from, area.valid_to)
    if area.parent is not None:
        body["refParent"] = rel(area_id(area.parent))
    if area.note:
        body["description"] = prop(area.note)
    return Desired(body, f"{file}:{area.line}")


def agency_entity(agency: Agency, provider: str, file: str) -> Desired:
    areas = [area_id(code) for code in agency.areas]
    body: dict[str, Any] = {
        "id": agency_id(agency.id),
        "type": "Organization",
        "name": prop(agency.name.vi),
        "alternateName": prop(agency.name.en),
        "agencyKind": prop(agency.kind),
        "refResponsibleArea": rel(areas[0] if len(areas) == 1 else areas),
        "responsibleCategories": prop(list(agency.categories)),
        "illustrative": prop(agency.illustrative),
        "dataProvider": prop(_provider(provider, agency.illustrative)),
    }
    _validity(body, agency.valid_from, agency.valid_to)
    if agency.short_name is not None:
        body["shortName"] = prop(text(agency.short_name))
    contact = {
        k: v
        for k, v in (("telephone", agency.phone), ("email", agency.email), ("url", agency.website))
        if v
    }
    if contact:
        body["contactPoint"] = prop(contact)
    if agency.note is not None:
        body["note"] = prop(text(agency.note))
    return Desired(body, f"{file}:{agency.line}")


def category_entity(category: Category, file: str) -> Desired:
    body: dict[str, Any] = {
        "id": category_id(category.code),
        "type": "ReportCategory",
        "code": prop(category.code),
        "name": prop(category.name.vi),
        "alternateName": prop(category.name.en),
        "capCategory": prop(category.cap_category),
        "refDefaultAgency": rel(agency_id(category.default_agency)),
        "keywords": prop(list(category.keywords)),
    }
    if category.description is not None:
        body["description"] = prop(text(category.description))
    if category.group is not None:
        body["group"] = prop(text(category.group))
    if category.alert is not None:
        body["alertCategory"] = prop(category.alert.category)
        body["alertSubCategory"] = prop(category.alert.sub_category)
    return Desired(body, f"{file}:{category.line}")


def road_entity(road: Road, provider: str, file: str) -> Desired:
    body: dict[str, Any] = {
        "id": road_id(road.id),
        "type": "Road",
        "name": prop(road.name.vi),
        "alternateName": prop(road.name.en),
        "location": geo({"type": "LineString", "coordinates": [list(c) for c in road.coordinates]}),
        "locationApproximate": prop(road.approximate),
        "illustrative": prop(road.illustrative),
        "dataProvider": prop(_provider(provider, road.illustrative)),
    }
    if road.tags:
        body["simulationTags"] = prop(list(road.tags))
    return Desired(body, f"{file}:{road.line}")


def group_entity(group: GroupSpec, areas: AreaIndex, provider: str, origin: str) -> Desired:
    body: dict[str, Any] = {
        "id": group.id,
        "type": group.type,
        "name": prop(group.name),
        "location": geo(
            {"type": "LineString", "coordinates": [list(c) for c in group.coordinates]}
        ),
        "refRoad": rel(road_id(group.road)),
        "memberCount": prop(group.members),
        **_placed(group.area, areas, group.tags),
        "illustrative": prop(group.illustrative),
        "dataProvider": prop(_provider(provider, group.illustrative)),
    }
    return Desired(body, origin)


def sensor_entity(sensor: SensorSpec, areas: AreaIndex, provider: str) -> Desired:
    body: dict[str, Any] = {
        "id": sensor.id,
        "type": sensor.type,
        "name": prop(sensor.name),
        "location": geo(point(sensor.lon, sensor.lat)),
        **_placed(sensor.area, areas, sensor.tags),
        "illustrative": prop(sensor.illustrative),
        "dataProvider": prop(_provider(provider, sensor.illustrative)),
        **sensor.attributes,
    }
    return Desired(body, sensor.origin, dict(sensor.initial))


def _placed(code: str, areas: AreaIndex, tags: tuple[str, ...]) -> dict[str, Attr]:
    """The simulator's contract: areaServed (Vietnamese name), refArea, simulationTags."""
    area = areas.get(code)
    return {
        "areaServed": prop(area.name_vi if area else code),
        "refArea": rel(area_id(code)),
        "simulationTags": prop(list(tags)),
    }


def _provider(provider: str, illustrative: bool) -> str:
    return f"{provider} (illustrative)" if illustrative else provider

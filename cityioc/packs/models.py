"""The pack format's items, as pydantic models (strict about unknown keys, so typos surface)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FORMAT_VERSION = 1  # the format this code reads; pack.yaml's format_version must not be newer

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=80)]
LocalId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=120)]
Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=40)]
Level = Literal["country", "province", "district", "commune"]
AgencyKind = Literal[
    "operationsCentre", "department", "police", "utility", "peoplesCommittee", "other"
]
CapCategory = Literal[
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
    "CBRNE", "Other",
]  # fmt: skip
AlertCategory = Literal[
    "traffic", "naturalDisaster", "weather", "environment", "health", "security", "agriculture"
]


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class Text(Item):
    """A text in Vietnamese and English (both required: the product is bilingual)."""

    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)


class MapView(Item):
    center: tuple[float, float]  # lon, lat
    zoom: float = Field(ge=0, le=22)


class Manifest(Item):
    format_version: int = Field(ge=1)
    name: Slug
    version: str = Field(min_length=1)
    title: Text
    description: Text
    timezone: str
    locales: list[str] = Field(min_length=1)
    as_of: date  # sensors are placed in the areas valid on this day
    data_provider: str = Field(min_length=1)
    simulation_tags: list[str] = []
    map: MapView | None = None
    sources: list[str] = []

    @field_validator("format_version")
    @classmethod
    def _supported(cls, value: int) -> int:
        if value > FORMAT_VERSION:
            raise ValueError(
                f"format_version {value} is newer than this cityioc reads ({FORMAT_VERSION})"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown time zone {value!r}") from err
        return value


class Area(Item):
    """An administrative unit, valid from ``valid_from`` (inclusive) to ``valid_to`` (exclusive)."""

    code: Code
    level: Level
    unit_type: str = Field(min_length=1)  # Vietnamese: tỉnh, thành phố, huyện, phường, xã …
    name_vi: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    parent: Code | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    approximate: bool = False
    note: str | None = None
    boundary: dict[str, Any] | None = None  # from areas.geojson
    line: int = Field(default=0, exclude=True)

    @model_validator(mode="after")
    def _consistent(self) -> Area:
        if (self.lon is None) != (self.lat is None):
            raise ValueError("lon and lat go together: give both or neither")
        if self.valid_from and self.valid_to and self.valid_to <= self.valid_from:
            raise ValueError("valid_to must be after valid_from (valid_to is exclusive)")
        return self

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day < self.valid_to
        )


class ForEachArea(Item):
    level: Level
    valid_on: date | None = None


class Agency(Item):
    id: str = Field(pattern=r"^[A-Za-z0-9{][A-Za-z0-9._{}-]*$", max_length=120)
    kind: AgencyKind
    name: Text
    short_name: Text | None = None
    areas: list[str] = Field(min_length=1)
    categories: list[str] = []
    valid_from: date | None = None
    valid_to: date | None = None
    for_each_area: ForEachArea | None = None
    illustrative: bool = False
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    note: Text | None = None
    line: int = Field(default=0, exclude=True)


class AlertLink(Item):
    category: AlertCategory
    sub_category: str = Field(pattern=r"^[a-z][A-Za-z]*$")


class Category(Item):
    code: Slug
    name: Text
    description: Text | None = None
    group: Text | None = None
    cap_category: CapCategory
    default_agency: str
    alert: AlertLink | None = None
    keywords: list[str] = []
    line: int = Field(default=0, exclude=True)


class Road(Item):
    id: LocalId
    name: Text
    coordinates: list[tuple[float, float]] = Field(min_length=2)  # [lon, lat], RFC 7946 order
    approximate: bool = True
    illustrative: bool = False
    tags: list[str] = []
    line: int = Field(default=0, exclude=True)


class LineGroup(Item):
    """Consecutive items of a line share a group entity (a street segment)."""

    attribute: str = Field(pattern=r"^ref[A-Z][A-Za-z]*$")  # e.g. refStreetlightGroup
    type: str = Field(pattern=r"^[A-Z][A-Za-z]*$")  # e.g. StreetlightGroup, RoadSegment
    every: int = Field(ge=1)
    id: str = Field(min_length=1)  # template with {g}
    name: str = Field(min_length=1)  # template with {g}


class Variant(Item):
    suffix: str = Field(pattern=r"^[A-Za-z0-9]+$")
    attributes: dict[str, Any] = {}


class SensorLine(Item):
    """Sensors placed every ``spacing_m`` along a road, expanded deterministically at load."""

    id: LocalId
    type: str = Field(pattern=r"^[A-Z][A-Za-z]*$")
    road: LocalId
    spacing_m: float = Field(gt=0)
    from_m: float = Field(default=0, ge=0)
    to_m: float | None = Field(default=None, gt=0)
    name: str = Field(min_length=1)  # template with {n} (and {g} when grouped)
    tags: list[str] = []
    illustrative: bool
    group: LineGroup | None = None
    variants: list[Variant] = []
    attributes: dict[str, Any] = {}
    initial: dict[str, Any] = {}
    line: int = Field(default=0, exclude=True)


TEMPLATE_FIELD = re.compile(r"\{([^{}]*)\}")

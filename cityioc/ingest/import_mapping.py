"""The mapping of an import: which columns make which entities, attributes and time series.

Written as YAML (``--mapping FILE``), sent as JSON over HTTP, or built from a few CLI options for
the common case. Validated with pydantic; every error names the mapping key it is about.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from cityioc.core.errors import BadRequestData
from cityioc.ingest.import_values import ValueOptions, ValueType, zone
from cityioc.ingest.tabular import Format, TableOptions

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# Entity members that are not attributes; the location and name have their own mapping keys.
RESERVED = frozenset({"id", "type", "@context", "scope", "createdAt", "modifiedAt"})


class MappingError(BadRequestData):
    """The mapping itself is wrong; ``problems`` lists each error as ``key: reason``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the mapping is not valid: " + "; ".join(problems))
        self.problems = problems


def _column_shorthand(value: Any) -> Any:
    """``population: Dân số`` means ``population: {column: Dân số}``."""
    return {"column": value} if isinstance(value, str) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class SourceSpec(_Strict):
    """How to read the file; everything is optional."""

    format: Format | None = None  # from the file name or media type when absent
    sheet: str | int | None = None
    header_row: int = Field(default=1, ge=1)
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    encoding: str = "utf-8-sig"

    def table_options(self) -> TableOptions:
        return TableOptions(self.sheet, self.header_row, self.delimiter, self.encoding)


class ValuesSpec(_Strict):
    decimal: Literal[".", ","] = "."
    timezone: str = "UTC"  # for date-times without a zone: UTC, +07:00, Asia/Ho_Chi_Minh
    date_format: str | None = None  # strptime format, e.g. "%d/%m/%Y %H:%M"

    @model_validator(mode="after")
    def _known_zone(self) -> ValuesSpec:
        zone(self.timezone)  # raises ValueError, reported under values.timezone's parent
        return self

    def options(self) -> ValueOptions:
        return ValueOptions(self.decimal, zone(self.timezone), self.date_format)


class PropertySpec(_Strict):
    column: str = Field(min_length=1)
    type: ValueType = "auto"
    unit_code: str | None = Field(default=None, alias="unitCode")
    required: bool = False


class RelationshipSpec(_Strict):
    column: str = Field(min_length=1)
    target: str = "{value}"  # e.g. urn:ngsi-ld:District:{value}
    required: bool = False


class LocationSpec(_Strict):
    lon: str | None = None
    lat: str | None = None
    wkt: str | None = None
    geojson: str | None = None  # a column holding GeoJSON geometry text
    geometry: bool = False  # the GeoJSON feature's own geometry
    required: bool = False

    @model_validator(mode="after")
    def _one_way(self) -> LocationSpec:
        if (self.lon is None) != (self.lat is None):
            raise ValueError("give both lon and lat columns")
        ways = [self.lon is not None, self.wkt is not None, self.geojson is not None, self.geometry]
        if sum(ways) != 1:
            raise ValueError("give exactly one of lon+lat, wkt, geojson or geometry: true")
        return self


Property = Annotated[PropertySpec, BeforeValidator(_column_shorthand)]
Relationship = Annotated[RelationshipSpec, BeforeValidator(_column_shorthand)]


class EntitySpec(_Strict):
    id: str | None = None  # a column: a URI as is, or a code made into urn:ngsi-ld:{type}:{code}
    id_template: str | None = None  # e.g. urn:ngsi-ld:{type}:{Mã trạm}
    type: str | None = None
    type_column: str | None = None
    name: str | None = None  # a column
    location: LocationSpec | None = None
    properties: dict[str, Property] = Field(default_factory=dict)
    relationships: dict[str, Relationship] = Field(default_factory=dict)
    create_missing: bool = True  # readings may create the entities they name

    @model_validator(mode="after")
    def _consistent(self) -> EntitySpec:
        if (self.id is None) == (self.id_template is None):
            raise ValueError("give exactly one of id (a column) or id_template")
        if (self.type is None) == (self.type_column is None):
            raise ValueError("give exactly one of type or type_column")
        if self.id_template is not None:
            check_template(self.id_template, allow_value=False)
        names = list(self.properties) + list(self.relationships)
        for fixed in ("name", "location"):
            if fixed in names and getattr(self, fixed) is not None:
                raise ValueError(f"{fixed!r} is mapped twice (entity.{fixed} and an attribute)")
        bad = sorted({n for n in names if n in RESERVED or not n.strip()})
        if bad:
            raise ValueError(f"not attribute names: {', '.join(map(repr, bad))}")
        twice = sorted(set(self.properties) & set(self.relationships))
        if twice:
            raise ValueError(f"mapped as a property and a relationship: {', '.join(twice)}")
        for rel in self.relationships.values():
            check_template(rel.target, allow_value=True)
        return self


class SeriesColumnSpec(_Strict):
    column: str = Field(min_length=1)
    type: ValueType = "number"
    unit_code: str | None = Field(default=None, alias="unitCode")


SeriesColumn = Annotated[SeriesColumnSpec, BeforeValidator(_column_shorthand)]


class WideSeries(_Strict):
    """One row per time, one column per attribute: ``time, pm25, pm10``."""

    format: Literal["wide"]
    time: str
    columns: dict[str, SeriesColumn] = Field(default_factory=dict)


class LongSeries(_Strict):
    """One row per reading: entity, attribute, value and time columns."""

    format: Literal["long"]
    time: str
    attribute: str  # the column naming the attribute
    value: str  # the column holding the value
    value_type: ValueType = "number"
    unit: str | None = None  # a column holding the unit code
    unit_code: str | None = Field(default=None, alias="unitCode")  # or one unit for all
    attributes: dict[str, str] = Field(default_factory=dict)  # file's name → attribute name


OtherColumns = Literal["ignore", "properties", "series"]


class Mapping(_Strict):
    source: SourceSpec = SourceSpec()
    values: ValuesSpec = ValuesSpec()
    entity: EntitySpec
    series: Annotated[WideSeries | LongSeries, Field(discriminator="format")] | None = None
    # Columns the mapping does not name: ignored, static properties (auto type), or wide series.
    other_columns: OtherColumns = "ignore"

    @model_validator(mode="after")
    def _series_fits(self) -> Mapping:
        if self.other_columns == "series" and not isinstance(self.series, WideSeries):
            raise ValueError("other_columns: series needs series.format: wide (and its time)")
        if isinstance(self.series, WideSeries):
            static = set(self.entity.properties) | set(self.entity.relationships)
            twice = sorted(static & set(self.series.columns))
            if twice:
                raise ValueError(f"mapped as a property and a series: {', '.join(twice)}")
        return self

    def named_columns(self) -> Iterator[tuple[str, str]]:
        """``(mapping key, column)`` for every column the mapping names."""
        e = self.entity
        for key in ("id", "type_column", "name"):
            if getattr(e, key) is not None:
                yield f"entity.{key}", getattr(e, key)
        if e.id_template is not None:
            for column in template_columns(e.id_template):
                yield "entity.id_template", column
        if e.location is not None:
            for key in ("lon", "lat", "wkt", "geojson"):
                if getattr(e.location, key) is not None:
                    yield f"entity.location.{key}", getattr(e.location, key)
        for name, prop in e.properties.items():
            yield f"entity.properties.{name}.column", prop.column
        for name, rel in e.relationships.items():
            yield f"entity.relationships.{name}.column", rel.column
            for column in template_columns(rel.target):
                yield f"entity.relationships.{name}.target", column
        s = self.series
        if isinstance(s, WideSeries):
            yield "series.time", s.time
            for name, col in s.columns.items():
                yield f"series.columns.{name}.column", col.column
        elif isinstance(s, LongSeries):
            for key in ("time", "attribute", "value", "unit"):
                if getattr(s, key) is not None:
                    yield f"series.{key}", getattr(s, key)

    def with_other_columns(self, columns: list[str]) -> Mapping:
        """The mapping with the columns it does not name added as ``other_columns`` says."""
        if self.other_columns == "ignore":
            return self
        named = {column for _, column in self.named_columns()}
        rest = [c for c in columns if c and c not in named and c not in RESERVED]
        if self.other_columns == "properties":
            props = {**{c: PropertySpec(column=c) for c in rest}, **self.entity.properties}
            entity = self.entity.model_copy(update={"properties": props})
            return self.model_copy(update={"entity": entity, "other_columns": "ignore"})
        assert isinstance(self.series, WideSeries)
        cols = {**{c: SeriesColumnSpec(column=c) for c in rest}, **self.series.columns}
        series = self.series.model_copy(update={"columns": cols})
        return self.model_copy(update={"series": series, "other_columns": "ignore"})


def check_template(template: str, *, allow_value: bool) -> None:
    for name in PLACEHOLDER.findall(template):
        if not name.strip():
            raise ValueError(f"template {template!r} has an empty {{}} placeholder")
        if name == "value" and not allow_value:
            raise ValueError(f"template {template!r}: {{value}} is only for relationship targets")
    if "{" in PLACEHOLDER.sub("", template) or "}" in PLACEHOLDER.sub("", template):
        raise ValueError(f"template {template!r} has an unbalanced brace")


def template_columns(template: str) -> list[str]:
    """The columns a template reads: its placeholders except ``{type}`` and ``{value}``."""
    return [n for n in PLACEHOLDER.findall(template) if n not in ("type", "value")]


# --- loading -------------------------------------------------------------------------------------


def parse_mapping(text: str | bytes) -> Mapping:
    """A mapping from YAML (or JSON, which YAML reads too)."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise MappingError(
            [f"not valid YAML or JSON{line}: {getattr(err, 'problem', err)}"]
        ) from err
    return mapping_from_dict(raw)


def mapping_from_dict(raw: Any) -> Mapping:
    if not isinstance(raw, dict):
        raise MappingError(["(top): the mapping must be an object with an 'entity' key"])
    try:
        return Mapping.model_validate(raw)
    except ValidationError as err:
        raise MappingError([_describe(e) for e in err.errors()]) from err


def _describe(error: Any) -> str:
    parts = [str(p) for p in error.get("loc", ())]
    # A discriminated union adds its tag ("wide"/"long") to the path: not a key the user wrote.
    parts = [
        p
        for i, p in enumerate(parts)
        if not (i and parts[i - 1] == "series" and p in ("wide", "long"))
    ]
    key = ".".join(parts) or "(top)"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{key}: {message}"


def simple_mapping(
    *,
    entity_type: str | None,
    id_column: str | None,
    lon_column: str | None = None,
    lat_column: str | None = None,
    time_column: str | None = None,
    name_column: str | None = None,
    sheet: str | None = None,
    decimal: str | None = None,
    timezone: str | None = None,
    geometry: bool = False,
) -> Mapping:
    """The common case from CLI options or query parameters: one type, an id column, maybe lon/lat
    and a time column. Without a time column the other columns are static properties; with one
    they are time series in wide format (numbers)."""
    entity: dict[str, Any] = {"type": entity_type, "id": id_column}
    if lon_column or lat_column:
        entity["location"] = {"lon": lon_column, "lat": lat_column}
    elif geometry:
        entity["location"] = {"geometry": True}
    if name_column:
        entity["name"] = name_column
    raw: dict[str, Any] = {"entity": entity, "source": {}, "values": {}}
    if sheet is not None:
        raw["source"]["sheet"] = int(sheet) if sheet.isdigit() else sheet
    if decimal is not None:
        raw["values"]["decimal"] = decimal
    if timezone is not None:
        raw["values"]["timezone"] = timezone
    if time_column:
        raw["series"] = {"format": "wide", "time": time_column}
        raw["other_columns"] = "series"
    else:
        raw["other_columns"] = "properties"
    return mapping_from_dict(raw)

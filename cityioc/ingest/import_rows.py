"""Rows (or features) + a mapping → entity drafts and readings, collecting every problem.

Nothing is decided against the database here: this is what the file says. Each problem names the
row (or feature), the column and the reason, so a person can fix the file in one pass.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping as AnyMapping
from dataclasses import dataclass, field
from typing import Any

from cityioc.hub.context import core_context
from cityioc.hub.models import AttributeObject
from cityioc.hub.operations import is_uri
from cityioc.hub.readings import Reading
from cityioc.ingest.import_mapping import (
    PLACEHOLDER,
    LongSeries,
    Mapping,
    WideSeries,
)
from cityioc.ingest.import_problems import Problem, RowProblem, unknown_column
from cityioc.ingest.import_values import (
    ValueOptions,
    ValueProblem,
    convert,
    geometry,
    geometry_from_wkt,
    instant_ms,
    point,
    text,
)
from cityioc.ingest.tabular import EXTRA


@dataclass(slots=True)
class EntityDraft:
    """An entity as the file describes it: expanded types and normalized attributes."""

    id: str
    types: list[str]
    attrs: dict[str, AttributeObject]
    number: int  # the first row (or feature) that names it


@dataclass(slots=True)
class ParsedRows:
    entities: dict[str, EntityDraft] = field(default_factory=dict)
    readings: list[Reading] = field(default_factory=list)
    origins: list[tuple[int, str]] = field(default_factory=list)  # per reading: (number, column)
    problems: list[Problem] = field(default_factory=list)
    bad_rows: dict[int, dict[str, Any]] = field(default_factory=dict)  # raw cells, by number
    rows: int = 0
    empty_cells: int = 0  # series cells left empty: no reading, no problem


class RowConverter:
    """Feeds on rows one by one (``add``); ``parsed`` holds the result so far."""

    def __init__(self, mapping: Mapping, file: str, *, features: bool = False) -> None:
        self.mapping = mapping
        self.file = file
        self.features = features
        self.options: ValueOptions = mapping.values.options()
        self.parsed = ParsedRows()
        core = core_context()
        self._expand: Callable[[str], str] = core.expand_term
        self._expand_type: Callable[[str], str] = core.expand_type
        self._attr_rows: dict[tuple[str, str], int] = {}  # which row set an entity's attribute
        e = mapping.entity
        self._has_static = bool(
            e.name or e.location or e.properties or e.relationships or mapping.series is None
        )
        # The column behind each static attribute, to name it when two rows disagree.
        self._column_of = {self._expand(n): p.column for n, p in e.properties.items()}
        self._column_of.update({self._expand(n): r.column for n, r in e.relationships.items()})
        if e.name:
            self._column_of[self._expand("name")] = e.name

    # --- the whole file ----------------------------------------------------------------------

    def check_columns(self, columns: list[str]) -> bool:
        """Report each column the mapping names that the file lacks; True when all are there."""
        present = set(columns)
        ok = True
        for key, column in self.mapping.named_columns():
            if column not in present:
                ok = False
                reason = unknown_column(column, key, columns)
                self.parsed.problems.append(
                    Problem(self.file, reason, "unknown_column", column=column)
                )
        return ok

    # --- one row -----------------------------------------------------------------------------

    def add(self, number: int, values: dict[str, Any], geom: dict[str, Any] | None = None) -> None:
        self.parsed.rows += 1
        problems: list[RowProblem] = []
        if EXTRA in values:
            problems.append(
                RowProblem(
                    "extra_cells",
                    None,
                    f"the row has {len(values[EXTRA])} more cell(s) than the header"
                    " (an unquoted decimal comma in a comma-separated file?)",
                )
            )
        etype: str | None = None
        eid: str | None = None
        try:
            etype, eid = self._identity(values)
        except RowProblem as err:
            problems.append(err)
        attrs = self._static(values, geom, problems) if self._has_static else {}
        readings = self._series(values, problems)
        if eid is not None and etype is not None and not problems:
            self._merge(number, eid, etype, attrs, problems)
        if problems:
            self._report(number, values, problems)
            return
        assert eid is not None and etype is not None
        for column, attr, value, t, unit in readings:
            self.parsed.readings.append(
                Reading(eid, attr, value, t, "", unit, self._expand_type(etype))
            )
            self.parsed.origins.append((number, column))

    def add_invalid_feature(self, index: int) -> None:
        self.parsed.rows += 1
        self._report(index, {}, [RowProblem("not_a_feature", None, "not a GeoJSON Feature")])

    def _report(self, number: int, values: dict[str, Any], problems: list[RowProblem]) -> None:
        self.parsed.bad_rows[number] = {k: v for k, v in values.items() if k != EXTRA}
        for p in problems:
            shown = None if p.value is None else text(p.value)[:200]
            found = Problem.at(
                self.file,
                number,
                p.reason,
                features=self.features,
                code=p.code,
                column=p.column,
                value=shown,
            )
            self.parsed.problems.append(found)

    def _identity(self, values: dict[str, Any]) -> tuple[str, str]:
        e = self.mapping.entity
        if e.type is not None:
            etype = e.type
        else:
            assert e.type_column is not None
            found = values.get(e.type_column)
            if found is None:
                raise RowProblem("missing_type", e.type_column, "missing entity type")
            etype = text(found)
        if e.id is not None:
            raw = values.get(e.id)
            if raw is None:
                raise RowProblem("missing_id", e.id, "missing id")
            code = text(raw)
            eid = code if ":" in code else f"urn:ngsi-ld:{etype}:{code}"
            column = e.id
        else:
            assert e.id_template is not None
            eid = _render(e.id_template, values, etype, None)
            column = None
        if not is_uri(eid):
            raise RowProblem("invalid_id", column, f"entity id {eid!r} is not a URI (no spaces)")
        return etype, eid

    def _static(
        self, values: dict[str, Any], geom: dict[str, Any] | None, problems: list[RowProblem]
    ) -> dict[str, AttributeObject]:
        e, attrs = self.mapping.entity, dict[str, AttributeObject]()
        if e.name is not None and values.get(e.name) is not None:
            attrs["name"] = {"type": "Property", "value": text(values[e.name])}
        if e.location is not None:
            try:
                found = self._location(values, geom)
            except RowProblem as err:
                problems.append(err)
            else:
                if found is not None:
                    attrs["location"] = {"type": "GeoProperty", "value": found}
        for name, prop in e.properties.items():
            raw = values.get(prop.column)
            if raw is None:
                if prop.required:
                    problems.append(
                        RowProblem("missing_value", prop.column, f"missing value for {name!r}")
                    )
                continue
            try:
                value = convert(raw, prop.type, self.options)
            except ValueProblem as err:
                problems.append(RowProblem("invalid_value", prop.column, str(err), raw))
                continue
            attr: AttributeObject = {"type": "Property", "value": value}
            if prop.unit_code:
                attr["unitCode"] = prop.unit_code
            attrs[name] = attr
        for name, rel in e.relationships.items():
            raw = values.get(rel.column)
            if raw is None:
                if rel.required:
                    problems.append(
                        RowProblem("missing_value", rel.column, f"missing value for {name!r}")
                    )
                continue
            try:
                target = _render(rel.target, values, e.type or "", text(raw))
            except RowProblem as err:
                problems.append(err)
                continue
            if not is_uri(target):
                problems.append(
                    RowProblem("invalid_value", rel.column, f"{target!r} is not an entity id (URI)")
                )
                continue
            attrs[name] = {"type": "Relationship", "object": target}
        return {self._expand(name): attr for name, attr in attrs.items()}

    def _location(
        self, values: dict[str, Any], geom: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        loc = self.mapping.entity.location
        assert loc is not None
        column: str | None
        try:
            if loc.lon is not None and loc.lat is not None:
                lon, lat = values.get(loc.lon), values.get(loc.lat)
                column = loc.lon if lon is None or lat is not None else loc.lat
                if lon is None and lat is None:
                    return self._no_location(column)
                if lon is None or lat is None:
                    raise RowProblem(
                        "bad_coordinates", column, "bad coordinates: give both lon and lat"
                    )
                column = f"{loc.lon}, {loc.lat}"
                return point(lon, lat, self.options.decimal)
            column = loc.wkt or loc.geojson
            if column is not None:
                raw = values.get(column)
                if raw is None:
                    return self._no_location(column)
                return geometry_from_wkt(raw) if loc.wkt else geometry(raw)
            if geom is None:
                return self._no_location(None)
            return geometry(geom)
        except ValueProblem as err:
            raise RowProblem("bad_coordinates", column, f"bad coordinates: {err}") from err

    def _no_location(self, column: str | None) -> dict[str, Any] | None:
        assert self.mapping.entity.location is not None
        if self.mapping.entity.location.required:
            raise RowProblem("missing_location", column, "missing location")
        return None  # no location in this row: the entity keeps the one it has

    def _series(
        self, values: dict[str, Any], problems: list[RowProblem]
    ) -> list[tuple[str, str, Any, int, str | None]]:
        s = self.mapping.series
        if s is None:
            return []
        raw_time = values.get(s.time)
        if raw_time is None:
            problems.append(RowProblem("missing_time", s.time, "missing time"))
            return []
        try:
            t = instant_ms(raw_time, self.options)
        except ValueProblem as err:
            problems.append(RowProblem("bad_date", s.time, f"bad date: {err}", raw_time))
            return []
        if isinstance(s, WideSeries):
            return self._wide(s, values, t, problems)
        return self._long(s, values, t, problems)

    def _wide(
        self, s: WideSeries, values: dict[str, Any], t: int, problems: list[RowProblem]
    ) -> list[tuple[str, str, Any, int, str | None]]:
        out = []
        for name, col in s.columns.items():
            raw = values.get(col.column)
            if raw is None:
                self.parsed.empty_cells += 1
                continue
            try:
                out.append(
                    (
                        col.column,
                        self._expand(name),
                        convert(raw, col.type, self.options),
                        t,
                        col.unit_code,
                    )
                )
            except ValueProblem as err:
                problems.append(RowProblem("invalid_value", col.column, str(err), raw))
        return out

    def _long(
        self, s: LongSeries, values: dict[str, Any], t: int, problems: list[RowProblem]
    ) -> list[tuple[str, str, Any, int, str | None]]:
        raw_name, raw = values.get(s.attribute), values.get(s.value)
        if raw_name is None:
            problems.append(RowProblem("missing_attribute", s.attribute, "missing attribute name"))
            return []
        name = text(raw_name)
        if s.attributes:
            if name not in s.attributes:
                known = ", ".join(sorted(s.attributes))
                problems.append(
                    RowProblem(
                        "unknown_attribute",
                        s.attribute,
                        f"unknown attribute {name!r} (known: {known})",
                        raw_name,
                    )
                )
                return []
            name = s.attributes[name]
        if raw is None:
            self.parsed.empty_cells += 1
            return []
        try:
            value = convert(raw, s.value_type, self.options)
        except ValueProblem as err:
            problems.append(RowProblem("invalid_value", s.value, str(err), raw))
            return []
        unit = s.unit_code
        if s.unit is not None and values.get(s.unit) is not None:
            unit = text(values[s.unit])
        return [(s.value, self._expand(name), value, t, unit)]

    def _merge(
        self,
        number: int,
        eid: str,
        etype: str,
        attrs: dict[str, AttributeObject],
        problems: list[RowProblem],
    ) -> None:
        """Several rows may name one entity (wide series): their static values must agree."""
        if not self._has_static:
            return
        expanded = self._expand_type(etype)
        draft = self.parsed.entities.get(eid)
        if draft is None:
            self.parsed.entities[eid] = EntityDraft(eid, [expanded], attrs, number)
            for name in attrs:
                self._attr_rows[(eid, name)] = number
            return
        for name, attr in attrs.items():
            old = draft.attrs.get(name)
            if old is not None and old != attr:
                first = self._attr_rows[(eid, name)]
                short = core_context().compact_iri(name)
                label = "feature" if self.features else "row"
                problems.append(
                    RowProblem(
                        "conflicting_values",
                        self._column_of.get(name),
                        f"{eid}: {short!r} differs from {label} {first}",
                        attr.get("value", attr.get("object")),
                    )
                )
        if problems:
            return
        if expanded not in draft.types:
            draft.types.append(expanded)
        for name, attr in attrs.items():
            if name not in draft.attrs:
                draft.attrs[name] = attr
                self._attr_rows[(eid, name)] = number


def _render(template: str, values: AnyMapping[str, Any], etype: str, value: str | None) -> str:
    def one(match: Any) -> str:
        name = match.group(1)
        if name == "type":
            return etype
        if name == "value" and value is not None:
            return value
        found = values.get(name)
        if found is None:
            raise RowProblem("missing_value", name, f"missing value for {{{name}}} in {template!r}")
        return text(found)

    return PLACEHOLDER.sub(one, template)

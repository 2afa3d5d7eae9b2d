"""The ``sensors`` section: ``sensors.csv`` rows, ``roads.yaml`` and ``sensor-lines.yaml``.

``sensors.csv`` has the columns id, type, name, lon, lat, area (optional: found from lon/lat),
tags (separated by ``|`` or spaces), illustrative, and any type-specific attribute as a column of
its own, ``name`` or ``name[UNIT]`` (``referenceLevel[MTR]``). Lines place sensors every N metres
along a road; consecutive ones share a segment (``group``).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic import Field

from cityioc.packs.areas import AreaIndex
from cityioc.packs.fleet import Fleet, GroupSpec, SensorSpec
from cityioc.packs.lines import Placement, RoadGeometry
from cityioc.packs.models import Code, Item, LocalId, Road, SensorLine
from cityioc.packs.problems import Problems
from cityioc.packs.registry import ParseContext
from cityioc.packs.sensor_types import SENSOR_TYPES, cell_value, encode_attribute, type_problems
from cityioc.packs.sources import CsvRow, CsvTable, Marked
from cityioc.packs.validation import validate_row, validate_yaml_item, where, yaml_items

SENSORS_CSV = "sensors.csv"
ROADS = "roads.yaml"
LINES = "sensor-lines.yaml"
FILES = (SENSORS_CSV, ROADS, LINES)
FIXED = ("id", "type", "name", "lon", "lat", "area", "tags", "illustrative")
EXTRA_COLUMN = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)(?:\[([A-Za-z0-9]+)\])?$")
TAG_SPLIT = re.compile(r"[|\s]+")


class SensorRow(Item):
    id: LocalId
    type: str = Field(pattern=r"^[A-Z][A-Za-z]*$")
    name: str = Field(min_length=1)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    area: Code | None = None
    tags: str = ""
    illustrative: bool


class _Builder:
    def __init__(self, ctx: ParseContext) -> None:
        self.ctx = ctx
        self.problems: Problems = ctx.problems
        self.index: AreaIndex | None = ctx.parsed.get("areas")
        self.as_of: date = ctx.manifest.as_of
        self.vocabulary = set(ctx.manifest.simulation_tags)
        self.fleet = Fleet()
        self.ids: dict[str, str] = {}  # entity id → where it was defined

    # --- shared checks -------------------------------------------------------------------------

    def tags(self, raw: list[str], file: str, line: int) -> tuple[str, ...]:
        out = tuple(dict.fromkeys(t for t in raw if t))
        unknown = [t for t in out if self.vocabulary and t not in self.vocabulary]
        if unknown:
            self.problems.add(
                file,
                line,
                f"unknown tag(s) {', '.join(unknown)} (pack.yaml simulation_tags:"
                f" {', '.join(sorted(self.vocabulary))})",
            )
        return out

    def area(self, code: str | None, lon: float, lat: float, file: str, line: int) -> str | None:
        if self.index is None:
            return code  # areas.csv failed: its problems are reported already
        if code is not None:
            area = self.index.get(code)
            if area is None:
                self.problems.add(file, line, f"unknown area {code!r}")
                return None
            if not area.valid_on(self.as_of):
                self.problems.add(
                    file, line, f"area {code} is not valid on {self.as_of} (pack.yaml as_of)"
                )
                return None
            return code
        found = self.index.area_at((lon, lat), self.as_of)
        if found is None:
            self.problems.add(file, line, f"no area valid on {self.as_of} holds ({lon}, {lat})")
            return None
        return found.code

    def claim(self, entity_id: str, origin: str, file: str, line: int) -> bool:
        if entity_id in self.ids:
            self.problems.add(
                file, line, f"{entity_id} is already defined at {self.ids[entity_id]}"
            )
            return False
        self.ids[entity_id] = origin
        return True

    # --- sensors.csv ---------------------------------------------------------------------------

    def rows(self, table: CsvTable) -> None:
        missing = [c for c in FIXED if c not in table.header and c != "area"]
        if missing:
            self.problems.add(
                table.file, table.header_line, f"missing column(s): {', '.join(missing)}"
            )
            return
        extras: list[tuple[str, str, str | None]] = []  # column, attribute, unit
        for column in table.header:
            if column in FIXED:
                continue
            match = EXTRA_COLUMN.match(column)
            if match is None:
                self.problems.add(
                    table.file,
                    table.header_line,
                    f"column {column!r}: write an attribute as name or name[UNIT]",
                )
                continue
            extras.append((column, match.group(1), match.group(2)))
        for row in table.rows:
            self.row(table, row, extras)

    def row(self, table: CsvTable, row: CsvRow, extras: list[tuple[str, str, str | None]]) -> None:
        fixed = CsvRow(row.line, {k: v for k, v in row.values.items() if k in FIXED})
        parsed = validate_row(SensorRow, table, fixed, self.problems)
        if parsed is None:
            return
        attrs: dict[str, dict[str, Any]] = {}
        for column, name, unit in extras:
            cell = row.values[column]
            if cell == "":
                continue
            try:
                attrs[name] = encode_attribute(name, cell_value(cell), unit)
            except ValueError as err:
                self.problems.add(table.file, row.line, f"column {column}: {err}")
        origin = f"{table.file}:{row.line}"
        tags = self.tags(TAG_SPLIT.split(parsed.tags.strip()), table.file, row.line)
        area = self.area(parsed.area, parsed.lon, parsed.lat, table.file, row.line)
        sensor = self.sensor(
            parsed.id, parsed.type, parsed.name, (parsed.lon, parsed.lat), area, tags, attrs,
            parsed.illustrative, origin,
        )  # fmt: skip
        if sensor is not None and self.checked(sensor, table.file, row.line):
            self.fleet.sensors.append(sensor)

    def sensor(
        self,
        local_id: str,
        type_name: str,
        name: str,
        point: tuple[float, float],
        area: str | None,
        tags: tuple[str, ...],
        attrs: dict[str, dict[str, Any]],
        illustrative: bool,
        origin: str,
    ) -> SensorSpec | None:
        if area is None:
            return None
        spec = SENSOR_TYPES.get(type_name)
        initial = {k: encode_attribute(k, v) for k, v in (spec.initial if spec else {}).items()}
        for key in list(attrs):
            if key in initial:
                initial[key] = attrs.pop(key)
        return SensorSpec(
            local_id, type_name, name, point[0], point[1], area, tags, attrs, initial,
            illustrative, origin,
        )  # fmt: skip

    def checked(self, sensor: SensorSpec, file: str, line: int) -> bool:
        errors = type_problems(sensor.type, {**sensor.attributes, **sensor.initial})
        for error in errors:
            self.problems.add(file, line, error)
        return not errors and self.claim(sensor.id, sensor.origin, file, line)

    # --- roads.yaml and sensor-lines.yaml ------------------------------------------------------

    def roads(self, marked: Marked) -> dict[str, tuple[Road, RoadGeometry]]:
        out: dict[str, tuple[Road, RoadGeometry]] = {}
        for i, item in yaml_items(marked, self.problems):
            road = validate_yaml_item(Road, marked, (i,), item, self.problems)
            if road is None:
                continue
            if road.id in out:
                self.problems.add(ROADS, road.line, f"road {road.id} is defined twice")
                continue
            self.tags(road.tags, ROADS, road.line)
            geometry = RoadGeometry(road.coordinates)
            if geometry.length_m <= 0:
                self.problems.add(ROADS, road.line, f"road {road.id} has no length")
                continue
            out[road.id] = (road, geometry)
            self.fleet.roads.append(road)
        return out

    def lines(self, marked: Marked, roads: dict[str, tuple[Road, RoadGeometry]]) -> None:
        for i, item in yaml_items(marked, self.problems):
            line = validate_yaml_item(SensorLine, marked, (i,), item, self.problems)
            if line is not None:
                self.line(marked, i, line, roads)

    def line(
        self,
        marked: Marked,
        i: int,
        spec: SensorLine,
        roads: dict[str, tuple[Road, RoadGeometry]],
    ) -> None:
        found = roads.get(spec.road)
        if found is None:
            self.problems.add(LINES, spec.line, f"unknown road {spec.road!r}")
            return
        road, geometry = found
        if not _templates_ok(spec, marked, i, self.problems):
            return
        attrs = self.line_attributes(marked, (i, "attributes"), spec.attributes)
        initial = self.line_attributes(marked, (i, "initial"), spec.initial)
        variants = [
            (v.suffix, self.line_attributes(marked, (i, "variants", j, "attributes"), v.attributes))
            for j, v in enumerate(spec.variants)
        ] or [("", {})]
        places = geometry.placements(spec.spacing_m, spec.from_m, spec.to_m)
        if not places:
            self.problems.add(
                LINES,
                spec.line,
                f"from_m is beyond the end of road {road.id} ({geometry.length_m:.0f} m)",
            )
            return
        tags = self.tags([*road.tags, *spec.tags], LINES, spec.line)
        origin = f"{LINES}:{spec.line}"
        reported = False
        for n, place in enumerate(places, start=1):
            g = (n - 1) // spec.group.every + 1 if spec.group else 0
            extra = dict(attrs)
            if spec.group:
                group_id = spec.group.id.format(g=g)
                extra[spec.group.attribute] = {
                    "type": "Relationship",
                    "object": f"urn:ngsi-ld:{spec.group.type}:{group_id}",
                }
            area = self.area(None, place.lon, place.lat, LINES, spec.line)
            for suffix, variant in variants:
                local = f"{spec.id}-{n:04d}" + (f"-{suffix}" if suffix else "")
                sensor = self.sensor(
                    local, spec.type, spec.name.format(n=n, g=g), (place.lon, place.lat), area,
                    tags, {**extra, **variant}, spec.illustrative, origin,
                )  # fmt: skip
                if sensor is None:
                    continue
                sensor.initial.update(initial)
                if reported:
                    if self.claim(sensor.id, origin, LINES, spec.line):
                        self.fleet.sensors.append(sensor)
                elif self.checked(sensor, LINES, spec.line):
                    self.fleet.sensors.append(sensor)
                else:
                    return  # the same fault would repeat for every item of the line
            reported = True
        if spec.group:
            self.groups(spec, road, geometry, places, tags)

    def line_attributes(
        self, marked: Marked, path: tuple[Any, ...], raw: dict[str, Any]
    ) -> dict[str, dict[str, Any]]:
        out = {}
        for name, value in raw.items():
            try:
                out[name] = encode_attribute(name, value)
            except ValueError as err:
                self.problems.add(LINES, marked.line((*path, name)), str(err))
        return out

    def groups(
        self,
        spec: SensorLine,
        road: Road,
        geometry: RoadGeometry,
        places: list[Placement],
        tags: tuple[str, ...],
    ) -> None:
        assert spec.group is not None
        every, half = spec.group.every, spec.spacing_m / 2
        for start in range(0, len(places), every):
            members = places[start : start + every]
            g = start // every + 1
            middle = members[len(members) // 2]
            area = self.area(None, middle.lon, middle.lat, LINES, spec.line)
            if area is None:
                continue
            group = GroupSpec(
                spec.group.id.format(g=g),
                spec.group.type,
                spec.group.name.format(g=g),
                geometry.stretch(members[0].along_m - half, members[-1].along_m + half),
                area,
                road.id,
                tags,
                spec.illustrative,
                len(members),
            )
            if self.claim(group.id, f"{LINES}:{spec.line}", LINES, spec.line):
                self.fleet.groups.append(group)


def _templates_ok(spec: SensorLine, marked: Marked, i: int, problems: Problems) -> bool:
    templates: list[tuple[tuple[Any, ...], str, dict[str, int]]] = [
        ((i, "name"), spec.name, {"n": 1, "g": 1})
    ]
    if spec.group:
        templates += [
            ((i, "group", "id"), spec.group.id, {"g": 1}),
            ((i, "group", "name"), spec.group.name, {"g": 1}),
        ]
    ok = True
    for path, template, values in templates:
        try:
            template.format(**values)
        except (KeyError, IndexError, ValueError) as err:
            problems.add(
                LINES,
                marked.line(path),
                f"{where(path[1:])}: bad template {template!r} ({err};"
                f" placeholders: {', '.join('{' + k + '}' for k in values)})",
            )
            ok = False
    return ok


def parse_fleet(ctx: ParseContext) -> Fleet:
    builder = _Builder(ctx)
    if ctx.exists(SENSORS_CSV):
        table = ctx.csv(SENSORS_CSV)
        if table is not None:
            builder.rows(table)
    roads: dict[str, tuple[Road, RoadGeometry]] = {}
    if ctx.exists(ROADS):
        marked = ctx.yaml(ROADS)
        if marked is not None:
            roads = builder.roads(marked)
    if ctx.exists(LINES):
        marked = ctx.yaml(LINES)
        if marked is not None:
            builder.lines(marked, roads)
    return builder.fleet

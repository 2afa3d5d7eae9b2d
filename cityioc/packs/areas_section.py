"""The ``areas`` section: ``areas.csv`` (the hierarchy) and optional boundaries (GeoJSON)."""

from __future__ import annotations

from typing import Any

from cityioc.core.errors import BadRequestData
from cityioc.core.geo import validate_geometry
from cityioc.packs.areas import AreaIndex
from cityioc.packs.models import Area
from cityioc.packs.problems import Problems
from cityioc.packs.registry import ParseContext
from cityioc.packs.sources import Marked
from cityioc.packs.validation import check_columns, validate_row

AREAS_CSV = "areas.csv"
BOUNDARIES = "areas.geojson"
COLUMNS = {
    "code", "level", "unit_type", "name_vi", "name_en", "parent", "valid_from", "valid_to",
    "lon", "lat", "approximate", "note",
}  # fmt: skip
REQUIRED = {"code", "level", "unit_type", "name_vi", "name_en"}


def parse_areas(ctx: ParseContext) -> AreaIndex | None:
    table = ctx.csv(AREAS_CSV)
    if table is None or not check_columns(table, COLUMNS, REQUIRED, ctx.problems):
        return None
    boundaries = _boundaries(ctx) if ctx.exists(BOUNDARIES) else {}
    areas: list[Area] = []
    seen: dict[str, int] = {}
    for row in table.rows:
        code = row.values.get("code", "")
        if code in seen:
            ctx.problems.add(
                AREAS_CSV, row.line, f"area {code} is already defined on line {seen[code]}"
            )
            continue
        boundary = boundaries.pop(code, None)
        area = validate_row(
            Area, table, row, ctx.problems, boundary=boundary[0] if boundary else None
        )
        if area is not None:
            seen[code] = row.line
            areas.append(area)
    for code, (_, line) in boundaries.items():
        ctx.problems.add(BOUNDARIES, line, f"unknown area {code!r}")
    if not areas and not ctx.problems:
        ctx.problems.add(AREAS_CSV, 0, "a pack needs at least one area")
    _check_hierarchy(areas, ctx.problems)
    try:
        return AreaIndex(areas, ctx.manifest.timezone)
    except BadRequestData as err:  # a boundary shapely cannot use (reported per feature first)
        ctx.problems.add(BOUNDARIES, 0, err.detail)
        return None


def _boundaries(ctx: ParseContext) -> dict[str, tuple[dict[str, Any], int]]:
    """Area code → Polygon/MultiPolygon from a FeatureCollection with ``properties.code``."""
    marked = ctx.json(BOUNDARIES)
    if marked is None:
        return {}
    data = marked.data
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        ctx.problems.add(BOUNDARIES, marked.line(), "must be a GeoJSON FeatureCollection")
        return {}
    out: dict[str, tuple[dict[str, Any], int]] = {}
    features = data.get("features")
    for i, feature in enumerate(features if isinstance(features, list) else []):
        line = marked.line(("features", i))
        code = _feature_code(feature)
        if code is None:
            ctx.problems.add(BOUNDARIES, line, "a feature needs properties.code (the area's code)")
            continue
        geometry = _feature_geometry(marked, i, feature, ctx.problems)
        if geometry is None:
            continue
        if code in out:
            ctx.problems.add(BOUNDARIES, line, f"area {code} has two boundaries")
            continue
        out[code] = (geometry, line)
    return out


def _feature_code(feature: Any) -> str | None:
    props = feature.get("properties") if isinstance(feature, dict) else None
    code = props.get("code") if isinstance(props, dict) else None
    return str(code) if isinstance(code, str | int) else None


def _feature_geometry(
    marked: Marked, i: int, feature: dict[str, Any], problems: Problems
) -> dict[str, Any] | None:
    geometry = feature.get("geometry")
    line = marked.line(("features", i, "geometry"))
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        problems.add(BOUNDARIES, line, "a boundary must be a Polygon or MultiPolygon")
        return None
    try:
        return validate_geometry(geometry, name="boundary")
    except BadRequestData as err:
        problems.add(BOUNDARIES, line, err.detail)
        return None


def _check_hierarchy(areas: list[Area], problems: Problems) -> None:
    by_code = {a.code: a for a in areas}
    for area in areas:
        if area.lon is None and area.boundary is None:
            problems.add(AREAS_CSV, area.line, f"area {area.code} needs lon/lat or a boundary")
        if area.parent is None:
            continue
        parent = by_code.get(area.parent)
        if parent is None:
            problems.add(AREAS_CSV, area.line, f"unknown parent area {area.parent!r}")
            continue
        if not _covers(parent, area):
            problems.add(
                AREAS_CSV,
                area.line,
                f"area {area.code} is valid {_span(area)} but its parent {parent.code} only"
                f" {_span(parent)}",
            )
    for area in areas:  # cycles: a parent chain that comes back
        seen, current = {area.code}, area
        while current.parent is not None and current.parent in by_code:
            current = by_code[current.parent]
            if current.code in seen:
                problems.add(AREAS_CSV, area.line, f"area {area.code} is its own ancestor")
                break
            seen.add(current.code)


def _covers(parent: Area, child: Area) -> bool:
    starts = parent.valid_from is None or (
        child.valid_from is not None and parent.valid_from <= child.valid_from
    )
    ends = parent.valid_to is None or (
        child.valid_to is not None and child.valid_to <= parent.valid_to
    )
    return starts and ends


def _span(area: Area) -> str:
    start = area.valid_from.isoformat() if area.valid_from else "always"
    end = area.valid_to.isoformat() if area.valid_to else "on"
    return f"from {start} to {end}"

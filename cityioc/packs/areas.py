"""Which administrative unit was valid at a date, for a point or for an area code (pure).

Units carry ``valid_from`` (inclusive) and ``valid_to`` (exclusive) dates, so the nine
district-level units of Bình Dương (to 1 July 2025) and the wards and communes after them are all
kept, and a value dated 2024 lands in a district while one dated 2026 lands in a ward. Dates are
local to the pack's time zone: the reorganisation took effect at local midnight.

A point is placed by its boundary where units have one (point in polygon, the finest unit wins) and
otherwise by the nearest centroid among the finest units valid at that date, within the unit whose
boundary contains the point when one does ("nearest centroid within the hierarchy").
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import shapely

from cityioc.core.geo import haversine_m, to_shape
from cityioc.packs.models import Area

When = date | datetime
Where = str | tuple[float, float] | dict[str, Any]  # area code, (lon, lat) or a GeoJSON Point


class AreaIndex:
    """The areas of a pack with their hierarchy, ready for ``area_at`` lookups."""

    def __init__(self, areas: Iterable[Area], timezone: str = "UTC") -> None:
        self.tz = ZoneInfo(timezone)
        self.areas: list[Area] = list(areas)
        self.by_code: dict[str, Area] = {a.code: a for a in self.areas}
        self.children: dict[str, list[Area]] = {}
        for area in self.areas:
            if area.parent is not None:
                self.children.setdefault(area.parent, []).append(area)
        self._shapes: dict[str, Any] = {}
        for area in self.areas:
            if area.boundary is not None:
                shape = to_shape(area.boundary)
                shapely.prepare(shape)
                self._shapes[area.code] = shape

    def __len__(self) -> int:
        return len(self.areas)

    def get(self, code: str) -> Area | None:
        return self.by_code.get(code)

    def day(self, when: When) -> date:
        """The local date of ``when`` (an aware datetime is converted to the pack's zone)."""
        if isinstance(when, datetime):
            if when.tzinfo is None:
                raise ValueError("a datetime for area lookups must carry its time zone")
            return when.astimezone(self.tz).date()
        return when

    def valid_at(self, when: When, level: str | None = None) -> list[Area]:
        day = self.day(when)
        return [a for a in self.areas if a.valid_on(day) and (level is None or a.level == level)]

    def ancestors(self, code: str) -> list[Area]:
        """The parent chain of ``code``, nearest first."""
        out: list[Area] = []
        area = self.by_code.get(code)
        while area is not None and area.parent is not None and len(out) < 32:
            area = self.by_code.get(area.parent)
            if area is not None:
                out.append(area)
        return out

    def depth(self, code: str) -> int:
        return len(self.ancestors(code))

    def point_of(self, area: Area) -> tuple[float, float] | None:
        """The centroid given in the pack, else the centre of the boundary."""
        if area.lon is not None and area.lat is not None:
            return area.lon, area.lat
        shape = self._shapes.get(area.code)
        if shape is None:
            return None
        centre = shape.representative_point()
        return float(centre.x), float(centre.y)

    def area_at(
        self,
        where: Where,
        when: When,
        *,
        level: str | None = None,
        max_distance_m: float | None = None,
    ) -> Area | None:
        """The unit valid at ``when`` for a point or an area code; None when nothing fits.

        An area code valid at ``when`` is its own answer; otherwise its centroid is placed like a
        point (so a ward code asked about 2024 answers the district it lies in). ``level`` asks
        for the ancestor (or self) at that level; ``max_distance_m`` bounds centroid matches.
        """
        day = self.day(when)
        if isinstance(where, str):
            area = self.by_code.get(where)
            if area is None:
                return None
            if area.valid_on(day):
                return self._at_level(area, level)
            point = self.point_of(area)
            if point is None:
                return None
        else:
            point = _as_point(where)
        found = self._locate(point, day, max_distance_m)
        return self._at_level(found, level) if found is not None else None

    def _locate(
        self, point: tuple[float, float], day: date, max_distance_m: float | None
    ) -> Area | None:
        valid = [a for a in self.areas if a.valid_on(day)]
        if not valid:
            return None
        location = shapely.Point(point)
        containing = [a for a in valid if a.code in self._shapes and self._contains(a, location)]
        scope: Sequence[Area]
        if containing:
            best = max(containing, key=lambda a: self.depth(a.code))
            scope = self._leaves_under(best, day)
            if not scope:
                return best
        else:
            roots = [a for a in valid if a.parent is None or not self._valid_code(a.parent, day)]
            if roots and all(r.code in self._shapes for r in roots):
                return None  # every top unit has a boundary and none holds the point
            scope = [a for a in valid if not self._valid_children(a, day)]
        inside = [a for a in scope if a.code in self._shapes and self._contains(a, location)]
        if inside:
            return inside[0]
        # a unit with a boundary that does not hold the point is ruled out, not merely far
        unbounded = [a for a in scope if a.code not in self._shapes]
        return self._nearest(point, unbounded, max_distance_m)

    def _contains(self, area: Area, point: Any) -> bool:
        return bool(shapely.intersects(self._shapes[area.code], point))

    def _valid_code(self, code: str, day: date) -> bool:
        area = self.by_code.get(code)
        return area is not None and area.valid_on(day)

    def _valid_children(self, area: Area, day: date) -> list[Area]:
        return [c for c in self.children.get(area.code, []) if c.valid_on(day)]

    def _leaves_under(self, area: Area, day: date) -> list[Area]:
        out: list[Area] = []
        stack = self._valid_children(area, day)
        while stack:
            child = stack.pop()
            below = self._valid_children(child, day)
            if below:
                stack.extend(below)
            else:
                out.append(child)
        return sorted(out, key=lambda a: a.code)

    def _nearest(
        self, point: tuple[float, float], scope: Sequence[Area], max_distance_m: float | None
    ) -> Area | None:
        best, best_m = None, math.inf
        for area in scope:
            centre = self.point_of(area)
            if centre is None:
                continue
            metres = haversine_m(point[0], point[1], centre[0], centre[1])
            if metres < best_m:
                best, best_m = area, metres
        if best is None or (max_distance_m is not None and best_m > max_distance_m):
            return None
        return best

    def _at_level(self, area: Area, level: str | None) -> Area | None:
        if level is None or area.level == level:
            return area
        return next((a for a in self.ancestors(area.code) if a.level == level), None)


def area_at(
    index: AreaIndex,
    where: Where,
    when: When,
    *,
    level: str | None = None,
    max_distance_m: float | None = None,
) -> Area | None:
    """The unit valid at ``when`` for a point ``(lon, lat)``, a GeoJSON Point or an area code."""
    return index.area_at(where, when, level=level, max_distance_m=max_distance_m)


def _as_point(where: tuple[float, float] | dict[str, Any]) -> tuple[float, float]:
    if isinstance(where, dict):
        if where.get("type") != "Point":
            raise ValueError("area lookups take a GeoJSON Point")
        lon, lat = where["coordinates"][:2]
        return float(lon), float(lat)
    return float(where[0]), float(where[1])

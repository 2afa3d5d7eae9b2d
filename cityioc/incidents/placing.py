"""Where an operator puts a new incident: a GeoJSON Point within reach of the city (pure).

The city's reach is the box around its areas (boundaries, else centroids) widened by a margin, so
a point picked near the border counts while a swapped ``[lat, lon]`` or a point in another
province is refused with a 400 that says which box was expected.
"""

from __future__ import annotations

from typing import Any

from cityioc.core.errors import BadRequestData
from cityioc.core.geo import BBox, bbox
from cityioc.packs.areas import AreaIndex

MARGIN_DEG = 0.5  # ≈ 55 km around the outermost area


def city_box(areas: AreaIndex) -> BBox | None:
    """The box around every area of the pack (any date), or None when no area has a place."""
    boxes: list[BBox] = []
    for area in areas.areas:
        if area.boundary is not None:
            boxes.append(bbox(area.boundary))
        elif area.lon is not None and area.lat is not None:
            boxes.append((area.lon, area.lat, area.lon, area.lat))
    if not boxes:
        return None
    return (
        min(b[0] for b in boxes) - MARGIN_DEG,
        min(b[1] for b in boxes) - MARGIN_DEG,
        max(b[2] for b in boxes) + MARGIN_DEG,
        max(b[3] for b in boxes) + MARGIN_DEG,
    )


def checked_point(location: dict[str, Any], areas: AreaIndex) -> tuple[float, float]:
    """``(lon, lat)`` of a validated geometry that must be a Point inside the city's reach."""
    if location.get("type") != "Point":
        raise BadRequestData(
            "location: a new incident is placed by a GeoJSON Point "
            f'{{"type": "Point", "coordinates": [lon, lat]}}, not a {location.get("type")}'
        )
    lon, lat = (float(x) for x in location["coordinates"][:2])
    return check_inside(lon, lat, areas)


def check_inside(lon: float, lat: float, areas: AreaIndex) -> tuple[float, float]:
    box = city_box(areas)
    if box is not None and not (box[0] <= lon <= box[2] and box[1] <= lat <= box[3]):
        raise BadRequestData(
            f"location: [{lon:g}, {lat:g}] is outside the city (lon {box[0]:.2f} to "
            f"{box[2]:.2f}, lat {box[1]:.2f} to {box[3]:.2f}); coordinates are [lon, lat]"
        )
    return lon, lat

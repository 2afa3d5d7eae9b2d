"""The bounding box both adapters index for an entity: that of its ``location`` attribute."""

from __future__ import annotations

from cityioc.core.geo import bbox as geometry_bbox
from cityioc.hub.models import StoredEntity
from cityioc.store.names import LOCATION


def location_bbox(entity: StoredEntity) -> tuple[float, float, float, float] | None:
    """(minx, miny, maxx, maxy) of the first ``location`` instance, None when it has no geometry."""
    loc = entity.doc.get(LOCATION)
    if isinstance(loc, list):
        loc = loc[0] if loc else None
    if not isinstance(loc, dict) or not isinstance(loc.get("value"), dict):
        return None
    try:
        return geometry_bbox(loc["value"])
    except (ValueError, TypeError, KeyError):
        return None

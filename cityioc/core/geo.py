"""GeoJSON geometry validation, bounding boxes and distances on the Earth.

Coordinates are RFC 7946 positions ``[lon, lat]`` (optionally ``[lon, lat, alt]``) in WGS84. As in
RFC 7946, lines between positions are straight in the lon/lat plane, so planar predicates on lon/lat
(shapely) are the exact topological relations. Distances use a sphere of the IUGG mean radius: that
differs from WGS84 geodesics by up to ~0.5 % (north-south, near the equator), which is the usual
trade-off of brokers that use spherical distances.

Not supported: geometries crossing the antimeridian, polar caps (bounding boxes then widen to the
whole longitude range rather than wrap).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import shapely
from shapely.errors import GEOSException

from cityioc.core.errors import BadRequestData

EARTH_RADIUS_M = 6_371_008.8  # IUGG mean radius
_RAD = math.pi / 180.0

BBox = tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
Shape = Any  # shapely.Geometry; shapely ships no type information

COORDINATE_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
)
GEOMETRY_TYPES = (*COORDINATE_TYPES, "GeometryCollection")

# How many array levels each type's "coordinates" has, and what that looks like.
_DEPTH = {
    "Point": 1,
    "MultiPoint": 2,
    "LineString": 2,
    "MultiLineString": 3,
    "Polygon": 3,
    "MultiPolygon": 4,
}
_SHAPE_HINT = {
    "Point": "[lon, lat]",
    "MultiPoint": "[[lon, lat], ...]",
    "LineString": "[[lon, lat], [lon, lat], ...]",
    "MultiLineString": "[[[lon, lat], ...], ...]",
    "Polygon": "[[[lon, lat], ...], ...] (rings)",
    "MultiPolygon": "[[[[lon, lat], ...], ...], ...] (polygons of rings)",
}
_MAX_COLLECTION_NESTING = 4  # RFC 7946 discourages nesting at all; bound the recursion


# --- validation ----------------------------------------------------------------------------------


def validate_geometry(obj: Any, *, name: str = "geometry") -> dict[str, Any]:
    """Return ``obj`` unchanged if it is a valid GeoJSON geometry, else raise BadRequestData.

    ``name`` prefixes error messages (e.g. the attribute holding the geometry). Polygons must also
    be valid in the Simple Features sense (no self-intersection), since relations on invalid
    polygons are undefined.
    """
    _validate(obj, name, 0)
    return obj  # type: ignore[no-any-return]  # checked above to be a geometry dict


def _validate(obj: Any, name: str, nesting: int) -> None:
    if not isinstance(obj, dict):
        raise BadRequestData(f"{name}: a GeoJSON geometry must be an object, got {_kind(obj)}")
    gtype = obj.get("type")
    if gtype not in GEOMETRY_TYPES:
        raise BadRequestData(f"{name}: {_unknown_type_message(gtype)}")
    if gtype == "GeometryCollection":
        _validate_collection(obj, name, nesting)
        return
    if "coordinates" not in obj:
        raise BadRequestData(f"{name}: a {gtype} needs a 'coordinates' member")
    check_coordinates(gtype, obj["coordinates"], f"{name}.coordinates")
    if gtype in ("Polygon", "MultiPolygon"):
        check_valid_shape(to_shape(obj), gtype, name)


def _validate_collection(obj: dict[str, Any], name: str, nesting: int) -> None:
    members = obj.get("geometries")
    if not isinstance(members, list):
        raise BadRequestData(f"{name}: a GeometryCollection needs a 'geometries' array")
    if not members:
        raise BadRequestData(f"{name}: a GeometryCollection must not be empty")
    if nesting >= _MAX_COLLECTION_NESTING:
        raise BadRequestData(f"{name}: GeometryCollections nested too deeply")
    for i, member in enumerate(members):
        _validate(member, f"{name}.geometries[{i}]", nesting + 1)


def _unknown_type_message(gtype: Any) -> str:
    if gtype in ("Feature", "FeatureCollection"):
        return f"expected a GeoJSON geometry, not a {gtype}"
    if gtype is None:
        return "missing 'type'"
    return f"unknown geometry type {gtype!r}; expected one of {', '.join(GEOMETRY_TYPES)}"


def check_coordinates(gtype: str, coords: Any, name: str) -> None:
    """Raise BadRequestData unless ``coords`` is a valid coordinates array for ``gtype``.

    ``gtype`` must be one of COORDINATE_TYPES. Arrays may be lists or tuples.
    """
    expected = _DEPTH[gtype]
    actual = _depth(coords)
    if actual != expected:
        got = "not an array" if actual == 0 else f"{actual} level(s) of arrays"
        raise BadRequestData(
            f"{name}: wrong nesting depth for a {gtype}: expected {expected} level(s) of arrays "
            f"like {_SHAPE_HINT[gtype]}, got {got}"
        )
    if gtype == "Point":
        _check_position(coords, name)
    elif gtype == "MultiPoint":
        _check_positions(coords, name, minimum=1, what="a MultiPoint")
    elif gtype == "LineString":
        _check_positions(coords, name, minimum=2, what="a LineString")
    elif gtype == "MultiLineString":
        _check_parts(coords, name, "MultiLineString")
        for i, line in enumerate(coords):
            _check_positions(line, f"{name}[{i}]", minimum=2, what="a LineString")
    elif gtype == "Polygon":
        _check_polygon(coords, name)
    else:
        _check_parts(coords, name, "MultiPolygon")
        for i, polygon in enumerate(coords):
            _check_polygon(polygon, f"{name}[{i}]")


def _depth(value: Any) -> int:
    """Array nesting depth along first elements (at most 6: deeper is wrong for every type)."""
    depth = 0
    while isinstance(value, list | tuple) and depth < 6:
        depth += 1
        if not value:
            break
        value = value[0]
    return depth


def _check_parts(parts: Any, name: str, what: str) -> None:
    if not isinstance(parts, list | tuple) or not parts:
        raise BadRequestData(f"{name}: a {what} needs a non-empty array")


def _check_polygon(rings: Any, name: str) -> None:
    if not isinstance(rings, list | tuple) or not rings:
        raise BadRequestData(f"{name}: a Polygon needs a non-empty array of linear rings")
    for i, ring in enumerate(rings):
        where = f"{name}[{i}]"
        _check_positions(ring, where, minimum=4, what="a linear ring")
        if list(ring[0]) != list(ring[-1]):
            raise BadRequestData(
                f"{where}: linear ring is not closed: the first position {list(ring[0])} must "
                f"equal the last {list(ring[-1])}"
            )


def _check_positions(positions: Any, name: str, *, minimum: int, what: str) -> None:
    if not isinstance(positions, list | tuple):
        raise BadRequestData(f"{name}: {what} needs an array of positions, got {_kind(positions)}")
    if len(positions) < minimum:
        raise BadRequestData(
            f"{name}: {what} needs at least {minimum} position(s), got {len(positions)}"
        )
    for i, position in enumerate(positions):
        _check_position(position, f"{name}[{i}]")


def _check_position(position: Any, name: str) -> None:
    if not isinstance(position, list | tuple) or not 2 <= len(position) <= 3:
        raise BadRequestData(
            f"{name}: a position must be [lon, lat] or [lon, lat, altitude], got {_kind(position)}"
        )
    for value in position:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadRequestData(f"{name}: position members must be numbers, got {value!r}")
        if not math.isfinite(value):
            raise BadRequestData(f"{name}: position members must be finite, got {value!r}")
    lon, lat = position[0], position[1]
    swapped = " (positions are [lon, lat]; swapped?)" if -90 <= lon <= 90 < abs(lat) <= 180 else ""
    if not -180 <= lon <= 180:
        raise BadRequestData(f"{name}: longitude {lon} is outside [-180, 180]")
    if not -90 <= lat <= 90:
        raise BadRequestData(f"{name}: latitude {lat} is outside [-90, 90]{swapped}")


def _kind(value: Any) -> str:
    if isinstance(value, list | tuple):
        return f"an array of {len(value)} element(s)"
    if isinstance(value, dict):
        return "an object"
    return repr(value)


def check_valid_shape(shape: Shape, gtype: str, name: str) -> None:
    """Reject polygons that are invalid in the Simple Features sense (self-intersections etc.)."""
    reason = str(shapely.is_valid_reason(shape))
    if reason != "Valid Geometry":
        raise BadRequestData(f"{name}: the {gtype} is not a valid geometry: {reason}")


# --- conversion and bounding boxes ---------------------------------------------------------------


def to_shape(geometry: Mapping[str, Any]) -> Shape:
    """Convert a (validated) GeoJSON geometry to shapely, or raise BadRequestData.

    Not cached: hashing a geometry dict costs about as much as converting it (~5-15 µs through the
    GEOS GeoJSON reader, about twice as fast as ``shapely.geometry.shape``). Callers that reuse a
    shape (GeoQuery) keep it themselves.
    """
    try:
        return shapely.from_geojson(orjson.dumps(_plain(geometry)))
    except (GEOSException, TypeError, ValueError) as exc:
        raise BadRequestData(f"geometry: not a usable GeoJSON geometry ({exc})") from None


def _plain(geometry: Mapping[str, Any]) -> Any:
    """A dict orjson can serialise (it rejects Mapping subclasses it does not know)."""
    return geometry if isinstance(geometry, dict) else dict(geometry)


def bbox(geometry: Mapping[str, Any]) -> BBox:
    """(min lon, min lat, max lon, max lat) of a validated geometry (altitude ignored)."""
    min_lon = min_lat = math.inf
    max_lon = max_lat = -math.inf
    for lon, lat in _positions(geometry):
        min_lon = min(min_lon, lon)
        max_lon = max(max_lon, lon)
        min_lat = min(min_lat, lat)
        max_lat = max(max_lat, lat)
    if min_lon == math.inf:
        raise BadRequestData("geometry: has no positions, so no bounding box")
    return (min_lon, min_lat, max_lon, max_lat)


def _positions(geometry: Mapping[str, Any]) -> Iterator[tuple[float, float]]:
    if geometry.get("type") == "GeometryCollection":
        for member in geometry.get("geometries", ()):
            yield from _positions(member)
        return
    stack: list[Any] = [geometry.get("coordinates", ())]
    while stack:
        value = stack.pop()
        if value and not isinstance(value[0], list | tuple):
            yield float(value[0]), float(value[1])
        else:
            stack.extend(value)


def bboxes_intersect(a: BBox, b: BBox) -> bool:
    """Closed-interval intersection: boxes that only touch do intersect."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def bbox_around(lon: float, lat: float, radius_m: float) -> BBox:
    """Smallest lon/lat box holding every point within ``radius_m`` (great-circle) of (lon, lat).

    Exact for the spherical cap, widened by a hair for rounding. When the cap reaches a pole or
    crosses the antimeridian the box spans all longitudes instead of wrapping.
    """
    angle = max(radius_m, 0.0) / EARTH_RADIUS_M
    margin = 1e-9  # degrees (~0.1 mm): keeps float rounding on the safe side
    dlat = math.degrees(angle) + margin
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90 or max_lat >= 90 or angle >= math.pi / 2:
        return (-180.0, max(min_lat, -90.0), 180.0, min(max_lat, 90.0))
    ratio = math.sin(angle) / math.cos(lat * _RAD)
    if ratio >= 1:
        return (-180.0, min_lat, 180.0, max_lat)
    dlon = math.degrees(math.asin(ratio)) + margin
    if lon - dlon < -180 or lon + dlon > 180:
        return (-180.0, min_lat, 180.0, max_lat)
    return (lon - dlon, min_lat, lon + dlon, max_lat)


# --- distances -----------------------------------------------------------------------------------


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres on the mean-radius sphere."""
    s_lat = math.sin((lat2 - lat1) * _RAD * 0.5)
    s_lon = math.sin((lon2 - lon1) * _RAD * 0.5)
    a = s_lat * s_lat + math.cos(lat1 * _RAD) * math.cos(lat2 * _RAD) * s_lon * s_lon
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(min(a, 1.0)))


@dataclass(frozen=True, slots=True)
class LocalProjection:
    """Equirectangular projection to metres around (lon0, lat0).

    It is affine in lon/lat, so it maps RFC 7946 straight edges to straight edges: the nearest point
    found in the projection is a true point of the geometry, and its haversine distance is a slight
    over-estimate of the true minimum. The relative error comes from the scale of longitude changing
    with latitude and is below tan(lat0)·d / (2R): ≤ 0.2 % at d = 50 km for |lat0| ≤ 23.5° (all of
    Vietnam; measured ≤ 0.07 %), growing with latitude and distance; useless near the poles.
    """

    lon0: float
    lat0: float
    kx: float  # metres per degree of longitude at lat0
    ky: float  # metres per degree of latitude

    @classmethod
    def around(cls, lon: float, lat: float) -> LocalProjection:
        ky = EARTH_RADIUS_M * _RAD
        return cls(lon, lat, ky * math.cos(lat * _RAD), ky)

    def forward(self, shape: Shape) -> Shape:
        kx, ky, lon0, lat0 = self.kx, self.ky, self.lon0, self.lat0
        return shapely.transform(shape, lambda xy: (xy - (lon0, lat0)) * (kx, ky))

    def inverse_xy(self, x: float, y: float) -> tuple[float, float]:
        kx = self.kx
        lon = self.lon0 + (x / kx if kx else 0.0)
        return lon, self.lat0 + y / self.ky


def distance_between_m(a: Shape, b: Shape, projection: LocalProjection) -> float:
    """Metres between the nearest points of two lon/lat shapes (accuracy: see LocalProjection)."""
    return projected_distance_m(projection.forward(a), b, projection)


def projected_distance_m(a_projected: Shape, b: Shape, projection: LocalProjection) -> float:
    """Like distance_between_m with ``a`` already projected (callers reuse it across many ``b``)."""
    line = shapely.shortest_line(a_projected, projection.forward(b))
    if line is None:
        return math.inf  # an empty geometry is nowhere
    (x1, y1), (x2, y2) = shapely.get_coordinates(line).tolist()
    lon1, lat1 = projection.inverse_xy(x1, y1)
    lon2, lat2 = projection.inverse_xy(x2, y2)
    return haversine_m(lon1, lat1, lon2, lat2)


def bbox_center(box: Sequence[float]) -> tuple[float, float]:
    return (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0

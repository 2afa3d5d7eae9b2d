"""GeoJSON validation, bounding boxes and distances (cityioc.core.geo)."""

from __future__ import annotations

import math
from typing import Any

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from cityioc.core.errors import BadRequestData
from cityioc.core.geo import (
    LocalProjection,
    bbox,
    bbox_around,
    bboxes_intersect,
    distance_between_m,
    haversine_m,
    to_shape,
    validate_geometry,
)

R = 6_371_008.8


def chord_distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Independent great-circle distance: chord between unit vectors, then arc length."""

    def unit(lon: float, lat: float) -> tuple[float, float, float]:
        la, lo = math.radians(lat), math.radians(lon)
        return (math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la))

    chord = math.dist(unit(lon1, lat1), unit(lon2, lat2))
    return 2 * R * math.asin(min(chord / 2, 1.0))


SQUARE = [[106.6, 10.9], [106.7, 10.9], [106.7, 11.0], [106.6, 11.0], [106.6, 10.9]]
HOLE = [[106.62, 10.92], [106.64, 10.92], [106.64, 10.94], [106.62, 10.92]]

VALID: list[dict[str, Any]] = [
    {"type": "Point", "coordinates": [106.65, 10.98]},
    {"type": "Point", "coordinates": [106.65, 10.98, 12.5]},
    {"type": "Point", "coordinates": [-180, -90]},
    {"type": "MultiPoint", "coordinates": [[106.65, 10.98], [106.77, 10.9]]},
    {"type": "LineString", "coordinates": [[106.65, 10.98], [106.77, 10.9]]},
    {"type": "MultiLineString", "coordinates": [[[106.6, 10.9], [106.7, 11.0]], [[1, 2], [3, 4]]]},
    {"type": "Polygon", "coordinates": [SQUARE]},
    {"type": "Polygon", "coordinates": [SQUARE, HOLE]},
    {"type": "MultiPolygon", "coordinates": [[SQUARE], [[[1, 1], [2, 1], [2, 2], [1, 1]]]]},
    {
        "type": "GeometryCollection",
        "geometries": [
            {"type": "Point", "coordinates": [106.65, 10.98]},
            {"type": "Polygon", "coordinates": [SQUARE]},
        ],
    },
    {"type": "Point", "coordinates": [106.65, 10.98], "bbox": [106.65, 10.98, 106.65, 10.98]},
]


@pytest.mark.parametrize("geometry", VALID, ids=lambda g: str(g["type"]))
def test_valid_geometries_are_returned_unchanged(geometry: dict[str, Any]) -> None:
    assert validate_geometry(geometry) is geometry


INVALID: list[tuple[Any, str]] = [
    ("POINT (1 2)", "must be an object"),
    ({"coordinates": [1, 2]}, "missing 'type'"),
    ({"type": "Circle", "coordinates": [1, 2]}, "unknown geometry type 'Circle'"),
    ({"type": "Feature", "geometry": None}, "not a Feature"),
    ({"type": "Point"}, "needs a 'coordinates' member"),
    ({"type": "Point", "coordinates": [[1, 2]]}, "wrong nesting depth for a Point"),
    ({"type": "Point", "coordinates": 5}, "got not an array"),
    ({"type": "Point", "coordinates": [1]}, "must be [lon, lat]"),
    ({"type": "Point", "coordinates": [1, 2, 3, 4]}, "must be [lon, lat]"),
    ({"type": "Point", "coordinates": [1, "2"]}, "must be numbers"),
    ({"type": "Point", "coordinates": [True, 2]}, "must be numbers"),
    ({"type": "Point", "coordinates": [math.nan, 2]}, "must be finite"),
    ({"type": "Point", "coordinates": [181, 2]}, "longitude 181 is outside [-180, 180]"),
    ({"type": "Point", "coordinates": [10.98, 106.65]}, "swapped?"),
    ({"type": "Point", "coordinates": [1, -91]}, "latitude -91 is outside [-90, 90]"),
    ({"type": "MultiPoint", "coordinates": []}, "wrong nesting depth"),
    ({"type": "LineString", "coordinates": [[1, 2]]}, "at least 2 position(s), got 1"),
    ({"type": "LineString", "coordinates": [1, 2]}, "wrong nesting depth for a LineString"),
    ({"type": "MultiLineString", "coordinates": [[[1, 2]]]}, "coordinates[0]: a LineString"),
    ({"type": "Polygon", "coordinates": [SQUARE[:4]]}, "linear ring is not closed"),
    ({"type": "Polygon", "coordinates": [[[1, 1], [2, 2], [1, 1]]]}, "at least 4 position(s)"),
    ({"type": "Polygon", "coordinates": SQUARE}, "wrong nesting depth for a Polygon"),
    ({"type": "Polygon", "coordinates": [SQUARE, [[1, 1], [2, 2], [3, 3]]]}, "coordinates[1]"),
    (
        {"type": "Polygon", "coordinates": [[[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]]},
        "Self-intersection",
    ),
    ({"type": "MultiPolygon", "coordinates": [SQUARE]}, "wrong nesting depth for a MultiPolygon"),
    ({"type": "GeometryCollection"}, "needs a 'geometries' array"),
    ({"type": "GeometryCollection", "geometries": []}, "must not be empty"),
    (
        {"type": "GeometryCollection", "geometries": [{"type": "Point", "coordinates": [1]}]},
        "geometry.geometries[0].coordinates",
    ),
]


@pytest.mark.parametrize(("geometry", "message"), INVALID)
def test_invalid_geometries_name_the_problem(geometry: Any, message: str) -> None:
    with pytest.raises(BadRequestData) as caught:
        validate_geometry(geometry)
    assert message in caught.value.detail
    assert caught.value.detail.startswith("geometry")


def test_error_messages_use_the_given_name() -> None:
    ring = [[1, 2], [3, 4], [200, 4], [1, 2]]
    with pytest.raises(BadRequestData, match=r"^location\.coordinates\[0\]\[2\]: longitude 200"):
        validate_geometry({"type": "Polygon", "coordinates": [ring]}, name="location")


def test_deeply_nested_collections_are_refused() -> None:
    geometry: dict[str, Any] = {"type": "Point", "coordinates": [1, 2]}
    for _ in range(10):
        geometry = {"type": "GeometryCollection", "geometries": [geometry]}
    with pytest.raises(BadRequestData, match="nested too deeply"):
        validate_geometry(geometry)


def test_bbox_of_every_kind() -> None:
    assert bbox({"type": "Point", "coordinates": [106.65, 10.98, 3]}) == (
        106.65,
        10.98,
        106.65,
        10.98,
    )
    assert bbox({"type": "Polygon", "coordinates": [SQUARE, HOLE]}) == (106.6, 10.9, 106.7, 11.0)
    collection = VALID[9]
    assert bbox(collection) == (106.6, 10.9, 106.7, 11.0)
    assert bbox(VALID[8]) == (1.0, 1.0, 106.7, 11.0)
    with pytest.raises(BadRequestData):
        bbox({"type": "MultiPoint", "coordinates": []})


def test_bboxes_intersect_counts_touching() -> None:
    assert bboxes_intersect((0, 0, 1, 1), (1, 1, 2, 2))
    assert not bboxes_intersect((0, 0, 1, 1), (1.0001, 0, 2, 1))
    assert bboxes_intersect((0, 0, 10, 10), (2, 2, 3, 3))


def test_known_distance_thu_dau_mot_to_di_an() -> None:
    # Thủ Dầu Một (10.98 N, 106.65 E) to Dĩ An (10.90 N, 106.77 E). Spherical law of cosines,
    # independent of both implementations: 15 835.6 m (WGS84 geodesic: 15 823 m).
    p1, p2, dlon = math.radians(10.98), math.radians(10.90), math.radians(0.12)
    cosines = R * math.acos(
        math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dlon)
    )
    assert cosines == pytest.approx(15_835.6, abs=0.5)
    assert haversine_m(106.65, 10.98, 106.77, 10.90) == pytest.approx(cosines, abs=0.01)
    assert haversine_m(106.77, 10.90, 106.65, 10.98) == pytest.approx(cosines, abs=0.01)


def test_known_distances_on_the_sphere() -> None:
    quarter = math.pi / 2 * R
    assert haversine_m(0, 0, 90, 0) == pytest.approx(quarter)
    assert haversine_m(0, 0, 0, 90) == pytest.approx(quarter)
    assert haversine_m(0, 0, 180, 0) == pytest.approx(2 * quarter)
    assert haversine_m(106.65, 10.98, 106.65, 10.98) == 0.0
    # One degree of latitude: 111.195 km on the mean sphere.
    assert haversine_m(106.0, 10.0, 106.0, 11.0) == pytest.approx(111_195.08, abs=0.01)


lons = st.floats(106.3, 106.9)
lats = st.floats(10.8, 11.4)


@settings(deadline=None, max_examples=300)
@given(lons, lats, lons, lats)
def test_haversine_agrees_with_chord_formula(
    lon1: float, lat1: float, lon2: float, lat2: float
) -> None:
    assert haversine_m(lon1, lat1, lon2, lat2) == pytest.approx(
        chord_distance_m(lon1, lat1, lon2, lat2), rel=1e-9, abs=1e-6
    )


@settings(deadline=None, max_examples=300)
@given(
    st.floats(-179, 179),
    st.floats(-80, 80),
    st.floats(0, 500_000),
    st.floats(0, 2 * math.pi),
    st.floats(0, 1),
)
def test_bbox_around_holds_the_whole_circle(
    lon: float, lat: float, radius: float, bearing: float, fraction: float
) -> None:
    box = bbox_around(lon, lat, radius)
    # A point at distance fraction*radius along the bearing (direct geodesic problem on the sphere).
    delta = fraction * radius / R
    p1, l1 = math.radians(lat), math.radians(lon)
    p2 = math.asin(
        math.sin(p1) * math.cos(delta) + math.cos(p1) * math.sin(delta) * math.cos(bearing)
    )
    l2 = l1 + math.atan2(
        math.sin(bearing) * math.sin(delta) * math.cos(p1),
        math.cos(delta) - math.sin(p1) * math.sin(p2),
    )
    lon2, lat2 = math.degrees(l2), math.degrees(p2)
    assert box[0] <= lon2 <= box[2] or box[2] - box[0] == 360
    assert box[1] <= lat2 <= box[3]


def test_bbox_around_is_tight_and_widens_at_the_edges() -> None:
    box = bbox_around(106.65, 10.98, 10_000)
    dlat = math.degrees(10_000 / R)
    assert box[1] == pytest.approx(10.98 - dlat) and box[3] == pytest.approx(10.98 + dlat)
    assert haversine_m(106.65, 10.98, box[2], 10.98) == pytest.approx(10_000, rel=1e-4)
    assert bbox_around(179.99, 0, 10_000)[::2] == (-180.0, 180.0)  # antimeridian: no wrapping
    assert bbox_around(0, 89.95, 10_000) == pytest.approx((-180.0, 89.95 - dlat, 180.0, 90.0))
    assert bbox_around(0, 0, 30_000_000) == (-180.0, -90.0, 180.0, 90.0)


@settings(deadline=None, max_examples=200)
@given(
    st.floats(102.0, 110.0),
    st.floats(8.0, 23.5),  # Vietnam
    st.floats(-50_000, 50_000),
    st.floats(-50_000, 50_000),
)
def test_local_projection_is_within_half_a_percent_at_50_km(
    lon0: float, lat0: float, east_m: float, north_m: float
) -> None:
    if math.hypot(east_m, north_m) > 50_000:
        east_m, north_m = east_m / 2, north_m / 2
    projection = LocalProjection.around(lon0, lat0)
    lon, lat = projection.inverse_xy(east_m, north_m)
    planar = math.hypot(east_m, north_m)
    true = chord_distance_m(lon0, lat0, lon, lat)
    assert planar == pytest.approx(true, rel=0.005, abs=1e-3)
    assert planar == pytest.approx(true, rel=0.002, abs=1e-3)  # the documented bound


def test_distance_to_a_line_and_a_polygon() -> None:
    projection = LocalProjection.around(106.65, 10.98)
    point = shapely.Point(106.65, 10.98)
    # A meridian segment 0.01° east: the nearest point is due east at the same latitude.
    line = to_shape({"type": "LineString", "coordinates": [[106.66, 10.9], [106.66, 11.1]]})
    assert distance_between_m(point, line, projection) == pytest.approx(
        chord_distance_m(106.65, 10.98, 106.66, 10.98), rel=1e-6
    )
    inside = to_shape({"type": "Polygon", "coordinates": [SQUARE]})
    assert distance_between_m(point, inside, projection) == 0.0


def test_to_shape_rejects_what_geos_cannot_read() -> None:
    assert to_shape({"type": "Point", "coordinates": [1, 2]}).equals(shapely.Point(1, 2))
    with pytest.raises(BadRequestData, match="not a usable GeoJSON geometry"):
        to_shape({"type": "Polygon", "coordinates": [[[1, 2]]]})

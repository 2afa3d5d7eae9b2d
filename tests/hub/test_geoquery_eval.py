"""Evaluation of geo-queries against a brute-force reference, plus the prefilter guarantee.

Coordinates mostly come from a 0.001° grid over Bình Dương (lon 106.3-106.9, lat 10.8-11.4) so that
shapes share exact edges and corners: that is where relation semantics differ (boundary vs
interior). The reference evaluators below use only comparisons, ray casting and great-circle
distances on unit vectors.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cityioc.core.geo import bbox, bboxes_intersect
from cityioc.hub.geoquery import GeoQuery, parse_geoquery

R = 6_371_008.8
RELATIONS = ["within", "contains", "intersects", "disjoint", "overlaps", "equals"]
Box = tuple[float, float, float, float]
XY = tuple[float, float]


# --- reference evaluators ------------------------------------------------------------------------


def ref_distance_m(a: XY, b: XY) -> float:
    """Great-circle distance from the chord between unit vectors (not haversine)."""

    def unit(p: XY) -> tuple[float, float, float]:
        lon, lat = math.radians(p[0]), math.radians(p[1])
        return (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))

    return 2 * R * math.asin(min(math.dist(unit(a), unit(b)) / 2, 1.0))


def ref_distance_to_path_m(p: XY, path: list[XY]) -> float:
    """Minimum great-circle distance to points sampled every ~1 m along straight lon/lat edges."""
    lon0, lat0 = math.radians(p[0]), math.radians(p[1])
    q = np.array([math.cos(lat0) * math.cos(lon0), math.cos(lat0) * math.sin(lon0), math.sin(lat0)])
    best = math.inf
    for (x1, y1), (x2, y2) in itertools.pairwise(path):
        steps = max(2, int(math.hypot(x2 - x1, y2 - y1) / 1e-5))
        t = np.linspace(0.0, 1.0, steps)
        lon, lat = np.radians(x1 + (x2 - x1) * t), np.radians(y1 + (y2 - y1) * t)
        points = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
        chord = float(np.min(np.linalg.norm(points - q[:, None], axis=0)))
        best = min(best, 2 * R * math.asin(min(chord / 2, 1.0)))
    return best


def ref_inside(p: XY, ring: list[XY]) -> bool:
    """Even-odd ray casting (meaningless exactly on the boundary: callers avoid that)."""
    x, y = p
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def near_boundary(p: XY, ring: list[XY], eps: float = 1e-9) -> bool:
    x, y = p
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        dx, dy = x2 - x1, y2 - y1
        t = max(0.0, min(1.0, ((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)))
        if math.hypot(x - x1 - t * dx, y - y1 - t * dy) < eps:
            return True
    return False


def ref_point_point(rel: str, entity: XY, query: XY) -> bool:
    same = entity == query
    return {"disjoint": not same, "overlaps": False}.get(rel, same)


def ref_point_box(rel: str, p: XY, box: Box) -> bool:
    """Entity point vs query box."""
    x, y = p
    interior = box[0] < x < box[2] and box[1] < y < box[3]
    closed = box[0] <= x <= box[2] and box[1] <= y <= box[3]
    table = {"within": interior, "intersects": closed, "disjoint": not closed}
    return table.get(rel, False)  # a point cannot contain, equal or overlap an area


def ref_box_point(rel: str, box: Box, p: XY) -> bool:
    """Entity box vs query point."""
    x, y = p
    interior = box[0] < x < box[2] and box[1] < y < box[3]
    closed = box[0] <= x <= box[2] and box[1] <= y <= box[3]
    table = {"contains": interior, "intersects": closed, "disjoint": not closed}
    return table.get(rel, False)


def ref_box_box(rel: str, a: Box, b: Box) -> bool:
    """Entity box ``a`` vs query box ``b``."""
    closed = a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]
    open_ = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
    a_in_b = b[0] <= a[0] and a[2] <= b[2] and b[1] <= a[1] and a[3] <= b[3]
    b_in_a = a[0] <= b[0] and b[2] <= a[2] and a[1] <= b[1] and b[3] <= a[3]
    return {
        "within": a_in_b,
        "contains": b_in_a,
        "intersects": closed,
        "disjoint": not closed,
        "equals": a == b,
        "overlaps": open_ and not a_in_b and not b_in_a,
    }[rel]


# --- shapes --------------------------------------------------------------------------------------


def lon_at(i: int) -> float:
    return round(106.3 + i / 1000, 3)


def lat_at(j: int) -> float:
    return round(10.8 + j / 1000, 3)


grid_points = st.tuples(st.integers(0, 600).map(lon_at), st.integers(0, 600).map(lat_at))
float_points = st.tuples(st.floats(106.3, 106.9), st.floats(10.8, 11.4))
points = grid_points | float_points


@st.composite
def boxes(draw: st.DrawFn) -> Box:
    i, j = draw(st.integers(0, 500)), draw(st.integers(0, 500))
    w, h = draw(st.integers(1, 100)), draw(st.integers(1, 100))
    return (lon_at(i), lat_at(j), lon_at(i + w), lat_at(j + h))


@st.composite
def star_polygons(draw: st.DrawFn) -> list[XY]:
    """Simple polygons: vertices by increasing angle around a centre, every gap < 180°."""
    cx, cy = draw(st.floats(106.4, 106.8)), draw(st.floats(10.9, 11.3))
    n = draw(st.integers(3, 9))
    step = 2 * math.pi / n
    offset = draw(st.floats(0, 2 * math.pi))
    ring = []
    for k in range(n):
        angle = offset + step * (k + draw(st.floats(-0.2, 0.2)))
        radius = draw(st.floats(0.005, 0.08))
        ring.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return [*ring, ring[0]]


def ring_of(box: Box) -> list[XY]:
    x1, y1, x2, y2 = box
    return [(x1, y1), (x2, y1), (x2, y2), (x1, y2), (x1, y1)]


def point_geo(p: XY) -> dict[str, Any]:
    return {"type": "Point", "coordinates": list(p)}


def polygon_geo(ring: list[XY]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


def query(georel: str, geometry: dict[str, Any]) -> GeoQuery:
    coords = json.dumps(geometry["coordinates"])
    result = parse_geoquery(georel, geometry["type"], coords, None)
    assert result is not None
    return result


def check(q: GeoQuery, entity: dict[str, Any], expected: bool) -> None:
    """matches() agrees with the reference, and the prefilter keeps every match."""
    assert q.matches(entity) is expected, (q, entity)
    box = q.prefilter_bbox()
    if expected and box is not None:
        assert bboxes_intersect(bbox(entity), box), (q, entity, box)


# --- relations -----------------------------------------------------------------------------------


@settings(deadline=None, max_examples=300)
@given(st.sampled_from(RELATIONS), points, boxes())
def test_point_entity_against_box_query(rel: str, p: XY, box: Box) -> None:
    check(query(rel, polygon_geo(ring_of(box))), point_geo(p), ref_point_box(rel, p, box))


@settings(deadline=None, max_examples=300)
@given(st.sampled_from(RELATIONS), boxes(), boxes())
def test_box_entity_against_box_query(rel: str, entity: Box, box: Box) -> None:
    check(
        query(rel, polygon_geo(ring_of(box))),
        polygon_geo(ring_of(entity)),
        ref_box_box(rel, entity, box),
    )


@settings(deadline=None, max_examples=200)
@given(st.sampled_from(RELATIONS), boxes(), grid_points)
def test_box_entity_against_point_query(rel: str, entity: Box, p: XY) -> None:
    check(query(rel, point_geo(p)), polygon_geo(ring_of(entity)), ref_box_point(rel, entity, p))


@settings(deadline=None, max_examples=200)
@given(st.sampled_from(RELATIONS), grid_points, grid_points | st.just((106.65, 10.98)))
def test_point_entity_against_point_query(rel: str, entity: XY, p: XY) -> None:
    check(query(rel, point_geo(p)), point_geo(entity), ref_point_point(rel, entity, p))


@settings(deadline=None, max_examples=300)
@given(st.sampled_from(RELATIONS), star_polygons(), float_points)
def test_point_entity_against_star_polygon(rel: str, ring: list[XY], p: XY) -> None:
    assume(not near_boundary(p, ring))
    inside = ref_inside(p, ring)
    expected = {"within": inside, "intersects": inside, "disjoint": not inside}.get(rel, False)
    check(query(rel, polygon_geo(ring)), point_geo(p), expected)


# --- near ----------------------------------------------------------------------------------------

distances = st.floats(0, 50_000) | st.integers(0, 5_000).map(float)


@settings(deadline=None, max_examples=400)
@given(points, points, distances, st.sampled_from(["maxDistance", "minDistance"]))
def test_near_point_entities(center: XY, p: XY, d: float, key: str) -> None:
    true = ref_distance_m(center, p)
    assume(abs(true - d) > 1e-6 * d + 1e-6)  # exactly on the circle: rounding decides
    q = query(f"near;{key}=={d!r}", point_geo(center))
    check(q, point_geo(p), true <= d if key == "maxDistance" else true >= d)
    assert q.distance_m(point_geo(p)) == pytest.approx(true, rel=1e-9, abs=1e-6)


@settings(deadline=None, max_examples=200)
@given(points, points)
def test_near_threshold_is_sharp(center: XY, p: XY) -> None:
    """Just beyond / just within the true distance flips the result (catches approximations)."""
    true = ref_distance_m(center, p)
    assume(true > 1.0)
    entity = point_geo(p)
    for key, d, expected in [
        ("maxDistance", true * (1 + 1e-7), True),
        ("maxDistance", true * (1 - 1e-7), False),
        ("minDistance", true * (1 - 1e-7), True),
        ("minDistance", true * (1 + 1e-7), False),
    ]:
        q = query(f"near;{key}=={d!r}", point_geo(center))
        check(q, entity, expected)
        assert q.matches_points([p[0]], [p[1]]).tolist() == [expected]


@settings(deadline=None, max_examples=150)
@given(
    points, boxes() | star_polygons(), distances, st.sampled_from(["maxDistance", "minDistance"])
)
def test_near_polygon_entities(center: XY, shape: Box | list[XY], d: float, key: str) -> None:
    ring = ring_of(shape) if isinstance(shape, tuple) else shape
    assume(not near_boundary(center, ring))
    true = 0.0 if ref_inside(center, ring) else ref_distance_to_path_m(center, ring)
    q = query(f"near;{key}=={d!r}", point_geo(center))
    entity = polygon_geo(ring)
    # Projection error (≤ 0.2 % at 50 km) plus the reference's sampling step (≤ 0.6 m).
    assert q.distance_m(entity) == pytest.approx(true, rel=0.002, abs=1.0)
    slack = 0.002 * d + 1.0
    assume(abs(true - d) > slack)
    check(q, entity, true <= d if key == "maxDistance" else true >= d)


@settings(deadline=None, max_examples=100)
@given(points, st.lists(grid_points, min_size=2, max_size=4), distances)
def test_near_line_entities(center: XY, path: list[XY], d: float) -> None:
    assume(len(set(path)) == len(path))
    true = ref_distance_to_path_m(center, path)
    q = query(f"near;maxDistance=={d!r}", point_geo(center))
    entity = {"type": "LineString", "coordinates": [list(p) for p in path]}
    assert q.distance_m(entity) == pytest.approx(true, rel=0.002, abs=1.0)
    assume(abs(true - d) > 0.002 * d + 1.0)
    check(q, entity, true <= d)


@settings(deadline=None, max_examples=100)
@given(
    st.sampled_from([*RELATIONS, "near;maxDistance==3000", "near;minDistance==3000"]),
    boxes() | star_polygons(),
    grid_points,
    st.lists(points, min_size=1, max_size=50),
)
def test_vectorised_points_agree_with_matches(
    georel: str, shape: Box | list[XY], center: XY, entities: list[XY]
) -> None:
    if georel.startswith("near"):
        geometry = point_geo(center)
    else:
        geometry = polygon_geo(ring_of(shape) if isinstance(shape, tuple) else shape)
    q = query(georel, geometry)
    lons, lats = zip(*entities, strict=True)
    bulk = q.matches_points(lons, lats).tolist()
    assert bulk == [q.matches(point_geo(p)) for p in entities]


# --- fixed examples ------------------------------------------------------------------------------

SQUARE = polygon_geo(ring_of((106.6, 10.9, 106.7, 11.0)))


def test_boundary_semantics() -> None:
    on_edge = point_geo((106.6, 10.95))
    corner = point_geo((106.6, 10.9))
    for entity in (on_edge, corner):
        assert not query("within", SQUARE).matches(entity)
        assert query("intersects", SQUARE).matches(entity)
        assert not query("disjoint", SQUARE).matches(entity)
    touching = polygon_geo(ring_of((106.7, 10.9, 106.8, 11.0)))
    assert query("intersects", SQUARE).matches(touching)
    assert not query("overlaps", SQUARE).matches(touching)
    # Entirely on the boundary: covered by, but not within, the square (Simple Features).
    along_edge = {"type": "LineString", "coordinates": [[106.6, 10.9], [106.6, 11.0]]}
    corners = {"type": "MultiPoint", "coordinates": [[106.6, 10.9], [106.7, 11.0]]}
    for entity in (along_edge, corners):
        assert not query("within", SQUARE).matches(entity)
        assert query("intersects", SQUARE).matches(entity)
    inner_sharing_edge = polygon_geo(ring_of((106.6, 10.9, 106.65, 10.95)))
    assert query("within", SQUARE).matches(inner_sharing_edge)
    assert query("contains", inner_sharing_edge).matches(SQUARE)


def test_equals_is_topological() -> None:
    ring = ring_of((106.6, 10.9, 106.7, 11.0))
    rotated = [*ring[2:-1], *ring[:3]]
    reversed_ = list(reversed(ring))
    q = query("equals", SQUARE)
    assert q.matches(polygon_geo(rotated))
    assert q.matches(polygon_geo(reversed_))
    assert not q.matches(polygon_geo(ring_of((106.6, 10.9, 106.7, 11.001))))


def test_lines_multigeometries_and_collections() -> None:
    crossing = {"type": "LineString", "coordinates": [[106.5, 10.95], [106.65, 10.95]]}
    assert query("intersects", SQUARE).matches(crossing)
    assert not query("within", SQUARE).matches(crossing)
    assert not query("overlaps", SQUARE).matches(crossing)  # different dimensions
    collection = {
        "type": "GeometryCollection",
        "geometries": [point_geo((106.0, 10.0)), point_geo((106.65, 10.95))],
    }
    assert query("intersects", SQUARE).matches(collection)
    assert not query("within", SQUARE).matches(collection)
    near_collection = query("near;maxDistance==1", point_geo((106.651, 10.95)))
    assert near_collection.distance_m(collection) == pytest.approx(
        ref_distance_m((106.651, 10.95), (106.65, 10.95)), rel=1e-6
    )
    assert not near_collection.matches(collection)
    two_squares = {
        "type": "MultiPolygon",
        "coordinates": [
            [[list(p) for p in ring_of((106.6, 10.9, 106.7, 11.0))]],
            [[list(p) for p in ring_of((106.8, 10.9, 106.9, 11.0))]],
        ],
    }
    assert query("within", two_squares).matches(point_geo((106.85, 10.95)))
    assert not query("within", two_squares).matches(point_geo((106.75, 10.95)))
    several = {"type": "MultiPoint", "coordinates": [[106.65, 10.95], [106.61, 10.91]]}
    assert query("within", SQUARE).matches(several)
    assert query("contains", several).matches(point_geo((106.61, 10.91))) is False
    assert query("intersects", several).matches(point_geo((106.61, 10.91)))


def test_near_between_bounds_and_sorting() -> None:
    thu_dau_mot, di_an = (106.65, 10.98), (106.77, 10.90)
    # 15 835.6 m apart (spherical law of cosines, see tests/core/test_geo.py).
    band = query("near;minDistance==15000;maxDistance==16000", point_geo(thu_dau_mot))
    assert band.matches(point_geo(di_an))
    assert not query("near;maxDistance==15800", point_geo(thu_dau_mot)).matches(point_geo(di_an))
    assert query("near;maxDistance==15900", point_geo(thu_dau_mot)).matches(point_geo(di_an))
    assert band.distance_m(point_geo(di_an)) == pytest.approx(15_835.6, abs=0.5)
    assert band.distance_m(SQUARE) == 0.0  # inside
    north = polygon_geo(ring_of((106.6, 11.0, 106.7, 11.1)))
    assert band.distance_m(north) == pytest.approx(ref_distance_m(thu_dau_mot, (106.65, 11.0)))
    entities = [point_geo((106.65, 10.98 + k / 100)) for k in (5, 1, 3)]
    ordered = sorted(entities, key=band.distance_m)
    assert [e["coordinates"][1] for e in ordered] == pytest.approx([10.99, 11.01, 11.03])


def test_prefilter_boxes() -> None:
    assert query("within", SQUARE).prefilter_bbox() == (106.6, 10.9, 106.7, 11.0)
    assert query("disjoint", SQUARE).prefilter_bbox() is None
    assert query("near;minDistance==10", point_geo((106.65, 10.98))).prefilter_bbox() is None
    box = query("near;maxDistance==1000", point_geo((106.65, 10.98))).prefilter_bbox()
    assert box is not None
    assert ref_distance_m((106.65, 10.98), (106.65, box[3])) == pytest.approx(1000, rel=1e-6)
    assert ref_distance_m((106.65, 10.98), (box[2], 10.98)) == pytest.approx(1000, rel=1e-3)


@pytest.mark.parametrize(
    "entity",
    [
        None,
        {},
        {"type": "Point"},
        {"type": "Point", "coordinates": "106,10"},
        {"type": "Point", "coordinates": [106.65]},
        {"type": "Point", "coordinates": ["106.65", 10.98]},
        {"type": "Polygon", "coordinates": [[[106.6, 10.9]]]},
        {"type": "Circle", "coordinates": [106.65, 10.98]},
    ],
)
@pytest.mark.parametrize("georel", ["near;maxDistance==1e7", "near;minDistance==0", *RELATIONS])
def test_malformed_entity_geometries_never_match(entity: Any, georel: str) -> None:
    q = query(georel, point_geo((106.65, 10.98)))
    assert q.matches(entity) is False
    assert q.distance_m(entity) == math.inf


def test_matches_cost_for_point_entities() -> None:
    """The near fast path avoids shapely: well under a few µs per call (measured ~0.5 µs)."""
    rng = np.random.default_rng(7)
    coords = rng.uniform((106.3, 10.8), (106.9, 11.4), size=(20_000, 2)).tolist()
    entities = [point_geo((x, y)) for x, y in coords]
    q = query("near;maxDistance==2000", point_geo((106.65, 10.98)))
    matches = q.matches
    start = time.perf_counter()
    hits = sum(1 for e in entities if matches(e))
    per_call = (time.perf_counter() - start) / len(entities)
    assert per_call < 5e-6, f"{per_call * 1e6:.2f} µs per call"
    lons, lats = np.array(coords).T
    start = time.perf_counter()
    assert int(q.matches_points(lons, lats).sum()) == hits
    assert time.perf_counter() - start < 0.05

"""Parsing and validation of NGSI-LD geo-query parameters."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cityioc.core.errors import BadRequestData
from cityioc.hub.geoquery import GeoQuery, geoquery_from_geoq, parse_geoquery

PARAMETERS = ("georel", "geometry", "coordinates", "geoproperty")
POINT = "[106.67,11.05]"
COORDS = {
    "Point": POINT,
    "MultiPoint": "[[106.67,11.05],[106.7,11.0]]",
    "LineString": "[[106.67,11.05],[106.7,11.0]]",
    "MultiLineString": "[[[106.67,11.05],[106.7,11.0]],[[106.6,10.9],[106.61,10.91]]]",
    "Polygon": "[[[106.6,10.9],[106.7,10.9],[106.7,11.0],[106.6,11.0],[106.6,10.9]]]",
    "MultiPolygon": (
        "[[[[106.6,10.9],[106.7,10.9],[106.7,11.0],[106.6,10.9]]],"
        "[[[106.8,10.9],[106.9,10.9],[106.9,11.0],[106.8,10.9]]]]"
    ),
}


def parse(
    georel: str | None = "within",
    geometry: str | None = "Polygon",
    coordinates: str | None = COORDS["Polygon"],
    geoproperty: str | None = None,
) -> GeoQuery | None:
    return parse_geoquery(georel, geometry, coordinates, geoproperty)


def test_no_geo_parameters_means_no_query() -> None:
    assert parse_geoquery(None, None, None, None) is None
    # geoproperty alone selects the geometry of GeoJSON output; it is not a query.
    assert parse_geoquery(None, None, None, "observationSpace") is None


@pytest.mark.parametrize(
    "georel", ["within", "contains", "intersects", "equals", "disjoint", "overlaps"]
)
@pytest.mark.parametrize("geometry", list(COORDS))
def test_every_relation_with_every_geometry(georel: str, geometry: str) -> None:
    query = parse(georel, geometry, COORDS[geometry])
    assert query is not None
    assert (query.georel, query.geometry, query.geoproperty) == (georel, geometry, "location")
    assert query.max_distance is None and query.min_distance is None
    assert query.georel_text == georel


def test_near_with_max_or_min_or_both() -> None:
    near = parse("near;maxDistance==2000", "Point", POINT, "position")
    assert near == GeoQuery("near", "Point", (106.67, 11.05), "position", max_distance=2000.0)
    assert near is not None and near.georel_text == "near;maxDistance==2000"
    far = parse("near;minDistance==15.5", "Point", POINT)
    assert far is not None and (far.max_distance, far.min_distance) == (None, 15.5)
    ring = parse("near;minDistance==100;maxDistance==1e3", "Point", POINT)
    assert ring is not None and (ring.max_distance, ring.min_distance) == (1000.0, 100.0)
    assert ring.georel_text == "near;maxDistance==1000;minDistance==100"
    zero = parse("near;maxDistance==0", "Point", POINT)
    assert zero is not None and zero.max_distance == 0.0


@pytest.mark.parametrize("distance", ["1234567", "0.1", "15.25", "1e-3", "2.5e7", "0"])
def test_georel_text_round_trips(distance: str) -> None:
    query = parse(f"near;maxDistance=={distance}", "Point", POINT)
    assert query is not None
    again = parse(query.georel_text, "Point", POINT)
    assert again == query and again.max_distance == float(distance)


def test_queries_pickle_and_copy() -> None:
    query = parse("near;minDistance==10;maxDistance==500", "Point", POINT, "position")
    assert query is not None
    for clone in (pickle.loads(pickle.dumps(query)), copy.deepcopy(query), copy.copy(query)):
        assert clone == query
        assert clone.matches({"type": "Point", "coordinates": [106.671, 11.05]})


def test_coordinates_are_frozen_into_tuples_of_floats() -> None:
    query = parse("within", "Polygon", "[[[106,10],[107,10],[107,11],[106,10]]]")
    assert query is not None
    assert query.coordinates == (((106.0, 10.0), (107.0, 10.0), (107.0, 11.0), (106.0, 10.0)),)
    assert hash(query) == hash(
        parse("within", "Polygon", "[[[106,10],[107,10],[107,11],[106,10]]]")
    )


def test_geoq_round_trip() -> None:
    query = parse("near;maxDistance==500", "Point", POINT, "location")
    assert query is not None
    geoq = query.as_geoq()
    assert geoq == {
        "georel": "near;maxDistance==500",
        "geometry": "Point",
        "coordinates": [106.67, 11.05],
        "geoproperty": "location",
    }
    assert geoquery_from_geoq(geoq) == query
    assert geoquery_from_geoq({**geoq, "coordinates": POINT}) == query
    polygon = parse()
    assert polygon is not None and geoquery_from_geoq(polygon.as_geoq()) == polygon


ERRORS: list[tuple[tuple[str | None, str | None, str | None, str | None], str]] = [
    # missing companions
    (("within", None, None, None), "geometry and coordinates: required when georel is given"),
    (("within", "Point", None, None), "coordinates: required when georel and geometry are given"),
    ((None, "Point", POINT, None), "georel: required when geometry and coordinates are given"),
    ((None, None, POINT, "location"), "georel and geometry: required"),
    # georel
    (("", "Point", POINT, None), "georel: is empty"),
    (("inside", "Point", POINT, None), "georel: unknown georel 'inside'"),
    (("Within", "Point", POINT, None), "did you mean 'within'?"),
    (("within;maxDistance==5", "Point", POINT, None), "georel: 'within' takes no modifiers"),
    (("near", "Point", POINT, None), "georel: 'near' needs a distance"),
    (("near;", "Point", POINT, None), "georel: expected 'maxDistance==<metres>'"),
    (("near;maxDistance:1000", "Point", POINT, None), "got 'maxDistance:1000'"),
    (("near;maxDistance=1000", "Point", POINT, None), "got 'maxDistance=1000'"),
    (("near;distance==1000", "Point", POINT, None), "got 'distance==1000'"),
    (("near;maxDistance==abc", "Point", POINT, None), "georel: maxDistance must be a non-negative"),
    (("near;maxDistance==-5", "Point", POINT, None), "georel: maxDistance must be a non-negative"),
    (("near;maxDistance==nan", "Point", POINT, None), "georel: maxDistance must be a non-negative"),
    (
        ("near;maxDistance==1_000", "Point", POINT, None),
        "georel: maxDistance must be a non-negative",
    ),
    (("near;maxDistance== 5", "Point", POINT, None), "georel: maxDistance must be a non-negative"),
    (("near;minDistance==", "Point", POINT, None), "georel: minDistance must be a non-negative"),
    (("near;maxDistance==1e999", "Point", POINT, None), "georel: maxDistance is too large"),
    (("near;maxDistance==1;maxDistance==2", "Point", POINT, None), "maxDistance is given twice"),
    (("near;minDistance==9;maxDistance==2", "Point", POINT, None), "minDistance (9) is greater"),
    # geometry
    (("within", "", POINT, None), "geometry: is empty"),
    (("within", "Circle", POINT, None), "geometry: unknown geometry 'Circle'"),
    (("within", "point", POINT, None), "did you mean 'Point'?"),
    (("within", "GeometryCollection", POINT, None), "not supported as a query geometry"),
    (("near;maxDistance==5", "Polygon", COORDS["Polygon"], None), "geometry: georel 'near' needs"),
    # coordinates
    (("within", "Point", "", None), "coordinates: is empty"),
    (("within", "Point", "106.67,11.05", None), "coordinates: not a JSON array"),
    (("within", "Point", "[106.67,11.05", None), "coordinates: not a JSON array"),
    (("within", "Point", "[NaN,1]", None), "coordinates: not a JSON array"),
    (("within", "Point", '{"lon":1}', None), "coordinates: expected a JSON array"),
    (("within", "Point", "[1]", None), "coordinates: a position must be [lon, lat]"),
    (("within", "Point", '[1,"2"]', None), "coordinates: position members must be numbers"),
    (("within", "Point", "[[1,2]]", None), "coordinates: wrong nesting depth for a Point"),
    (("within", "Point", "[190,2]", None), "coordinates: longitude 190 is outside"),
    (("within", "Point", "[11.05,106.67]", None), "latitude 106.67 is outside [-90, 90] (posi"),
    (("within", "LineString", "[[1,2]]", None), "coordinates: a LineString needs at least 2"),
    (("within", "LineString", "[[1,2],[1,2]]", None), "the LineString is not a valid geometry"),
    (("within", "MultiPoint", "[]", None), "coordinates: wrong nesting depth for a MultiPoint"),
    (("within", "MultiPoint", "[[1,2],[3]]", None), "coordinates[1]: a position must be"),
    (("within", "Polygon", "[[[1,1],[2,1],[2,2],[1,2]]]", None), "[0]: linear ring is not closed"),
    (("within", "Polygon", "[[[1,1],[2,1],[1,1]]]", None), "[0]: a linear ring needs at least 4"),
    (("within", "Polygon", "[[1,1],[2,1],[2,2],[1,1]]", None), "wrong nesting depth for a Polygon"),
    (("within", "Polygon", "[[[[1,1],[2,1],[2,2],[1,1]]]]", None), "wrong nesting depth"),
    (
        ("within", "Polygon", "[[[0,0],[2,2],[2,0],[0,2],[0,0]]]", None),
        "valid geometry: Self-inter",
    ),
    (("within", "MultiPolygon", COORDS["Polygon"], None), "wrong nesting depth for a MultiPolygon"),
    (("within", "MultiLineString", "[[[1,2],[3,4]],[]]", None), "[1]: a LineString needs at least"),
    (("within", "Point", "[" * 5000 + "]" * 5000, None), "coordinates: not a JSON array"),
    # geoproperty
    (("within", "Point", POINT, ""), "geoproperty: must be a non-empty attribute name"),
    (("within", "Point", POINT, "my location"), "geoproperty: 'my location' is not an attribute"),
]


@pytest.mark.parametrize(("params", "message"), ERRORS)
def test_errors_name_the_parameter(
    params: tuple[str | None, str | None, str | None, str | None], message: str
) -> None:
    with pytest.raises(BadRequestData) as caught:
        parse_geoquery(*params)
    detail = caught.value.detail
    assert message in detail
    assert detail.startswith(PARAMETERS), detail


def test_direct_construction_is_validated_too() -> None:
    with pytest.raises(BadRequestData, match="georel: unknown georel 'nearby'"):
        GeoQuery("nearby", "Point", (1.0, 2.0))
    with pytest.raises(BadRequestData, match="georel: 'within' takes no maxDistance"):
        GeoQuery("within", "Point", (1.0, 2.0), max_distance=5.0)
    with pytest.raises(BadRequestData, match="georel: 'near' needs a distance"):
        GeoQuery("near", "Point", (1.0, 2.0))
    with pytest.raises(BadRequestData, match="georel: maxDistance must be a finite number"):
        GeoQuery("near", "Point", (1.0, 2.0), max_distance=-1.0)
    with pytest.raises(BadRequestData, match="coordinates: longitude"):
        GeoQuery("within", "Point", (200.0, 2.0))


@pytest.mark.parametrize(
    ("geoq", "message"),
    [
        ("near", "geoQ: must be an object"),
        ({"georel": "within", "geometry": "Point"}, "coordinates: required"),
        ({"georel": 5, "geometry": "Point", "coordinates": [1, 2]}, "georel: must be a string"),
        ({"georel": "within", "geometry": "Point", "coordinates": 7}, "coordinates: wrong nesting"),
        (
            {"georel": "within", "geometry": "Point", "coordinates": "[1,2]", "geoproperty": 1},
            "geoproperty: must be a string",
        ),
    ],
)
def test_geoq_errors(geoq: Any, message: str) -> None:
    with pytest.raises(BadRequestData, match=message.replace("[", r"\[")):
        geoquery_from_geoq(geoq)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=5),
    max_leaves=30,
)


@settings(deadline=None, max_examples=200)
@given(
    st.sampled_from(["near;maxDistance==100", "within", "intersects", "near;minDistance==1"])
    | st.text(max_size=30),
    st.sampled_from(["Point", "LineString", "Polygon", "MultiPoint", "MultiPolygon"])
    | st.text(max_size=10),
    json_values.map(json.dumps) | json_values.map(repr) | st.text(max_size=40),
    st.none() | st.text(max_size=10),
)
def test_bad_input_only_ever_raises_bad_request_data(
    georel: str, geometry: str, coordinates: str, geoproperty: str | None
) -> None:
    try:
        query = parse_geoquery(georel, geometry, coordinates, geoproperty)
    except BadRequestData as exc:
        assert exc.detail.startswith(PARAMETERS), exc.detail
    else:
        assert query is not None
        query.prefilter_bbox()
        query.matches({"type": "Point", "coordinates": [106.65, 10.98]})


@settings(deadline=None, max_examples=200)
@given(st.sampled_from(list(COORDS)), json_values)
def test_random_coordinate_arrays_are_accepted_or_refused_cleanly(
    geometry: str, coordinates: Any
) -> None:
    try:
        GeoQuery("intersects", geometry, coordinates)
    except BadRequestData as exc:
        assert exc.detail.startswith("coordinates")

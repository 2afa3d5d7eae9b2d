"""The unit valid at a date, by point or by code, across the 1 July 2025 reorganisation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from cityioc.packs import AreaIndex, area_at, validate_pack
from cityioc.packs.models import Area

LAI_THIEU = (106.700, 10.910)  # a point in the former Thuận An
BEFORE, AFTER = date(2025, 6, 30), date(2025, 7, 1)


def code_at(areas: AreaIndex, where: Any, when: date | datetime, **options: Any) -> str | None:
    found = area_at(areas, where, when, **options)
    return found.code if found is not None else None


@pytest.fixture(scope="module")
def areas() -> AreaIndex:
    return validate_pack("binh-duong").areas


def test_a_point_lands_in_the_district_before_and_the_ward_after(areas: AreaIndex) -> None:
    before = area_at(areas, LAI_THIEU, BEFORE)
    after = area_at(areas, LAI_THIEU, AFTER)
    assert before is not None and after is not None
    assert (before.code, before.name_vi) == ("725", "Thành phố Thuận An")
    assert (after.code, after.name_vi) == ("25966", "Phường Lái Thiêu")
    assert code_at(areas, LAI_THIEU, BEFORE, level="province") == "74"
    assert code_at(areas, LAI_THIEU, AFTER, level="province") == "79"
    assert area_at(areas, {"type": "Point", "coordinates": list(LAI_THIEU)}, AFTER) == after


def test_the_change_happens_at_local_midnight(areas: AreaIndex) -> None:
    midnight = datetime(2025, 7, 1, tzinfo=timezone(timedelta(hours=7)))
    just_before = (midnight - timedelta(seconds=1)).astimezone(UTC)
    assert code_at(areas, LAI_THIEU, just_before) == "725"
    assert code_at(areas, LAI_THIEU, midnight.astimezone(UTC)) == "25966"
    with pytest.raises(ValueError, match="time zone"):
        area_at(areas, LAI_THIEU, datetime(2025, 7, 1))


def test_an_area_code_answers_the_unit_valid_at_that_date(areas: AreaIndex) -> None:
    assert code_at(areas, "25966", AFTER) == "25966"
    assert code_at(areas, "25966", date(2024, 3, 1)) == "725"
    ward = area_at(areas, "724", date(2026, 1, 1))  # Dĩ An, after it was abolished
    assert ward is not None and ward.level == "commune" and ward.parent == "79"
    assert ward.code in {"25942", "25945", "25951"}  # a ward of the former Dĩ An
    assert area_at(areas, "nowhere", AFTER) is None


def test_each_district_maps_to_itself_through_its_wards(areas: AreaIndex) -> None:
    """Every ward's centroid, asked about 2024, falls in a district (no gaps)."""
    wards = areas.valid_at(AFTER, level="commune")
    assert len(wards) == 36
    districts = {code_at(areas, w.code, BEFORE) for w in wards}
    assert districts == {a.code for a in areas.valid_at(BEFORE, level="district")}


def _square(lon: float, lat: float, half: float) -> dict[str, object]:
    ring = [
        [lon - half, lat - half],
        [lon + half, lat - half],
        [lon + half, lat + half],
        [lon - half, lat + half],
        [lon - half, lat - half],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def test_boundaries_win_over_nearer_centroids_and_bound_the_search() -> None:
    """A polygon holds the point even when another unit's centroid is nearer; within it, the
    nearest of its own units wins, never a closer unit of the neighbour."""
    areas = AreaIndex(
        [
            Area(code="A", level="district", unit_type="x", name_vi="A", name_en="A",
                 boundary=_square(106.0, 11.0, 0.1)),
            Area(code="B", level="district", unit_type="x", name_vi="B", name_en="B",
                 boundary=_square(106.2, 11.0, 0.1)),
            Area(code="A1", level="commune", unit_type="x", name_vi="A1", name_en="A1",
                 parent="A", lon=105.95, lat=11.0),
            Area(code="B1", level="commune", unit_type="x", name_vi="B1", name_en="B1",
                 parent="B", lon=106.11, lat=11.0),
        ],
        "Asia/Ho_Chi_Minh",
    )  # fmt: skip
    point = (106.09, 11.0)  # inside A, 2 km from B1's centroid, 15 km from A1's
    assert code_at(areas, point, AFTER) == "A1"
    assert code_at(areas, point, AFTER, level="district") == "A"
    assert code_at(areas, (106.15, 11.0), AFTER) == "B1"
    assert area_at(areas, (107.0, 11.0), AFTER) is None  # outside every boundary
    assert area_at(areas, point, AFTER, max_distance_m=5_000) is None  # A1 is 15 km away

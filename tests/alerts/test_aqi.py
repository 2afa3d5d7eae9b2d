"""VN_AQI and US EPA AQI: worked examples from the tables, NowCast, categories, properties."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cityioc.alerts.aqi import (
    EPA_CATEGORIES,
    VN_CATEGORIES,
    epa_aqi,
    epa_category,
    epa_sub_index,
    nowcast,
    to_ppb,
    vn_category,
    vn_daily,
    vn_hourly,
    vn_sub_index,
)
from cityioc.alerts.aqi.epa import TABLES
from cityioc.alerts.aqi.vn import BREAKPOINTS, INDEX


@pytest.mark.parametrize(
    ("table", "concentration", "expected"),
    [
        ("pm25", 0, 0),
        ("pm25", 25, 50),
        ("pm25", 40, 80),  # 2 × (40 − 25) + 50: continuous, no EPA-style offset
        ("pm25", 65, 125),  # the simulator's "Kém" stations
        ("pm25", 110, 171.43),  # … and its "Xấu" one
        ("pm25", 500, 500),
        ("pm10", 150, 100),
        ("pm10", 385, 250),
        ("o3_1h", 180, 75),
        ("o3_8h", 190, 175),
        ("co", 20000, 75),
        ("so2", 450, 125),
        ("no2", 450, 125),
    ],
)
def test_vn_sub_indices_interpolate_the_breakpoint_table(
    table: str, concentration: float, expected: float
) -> None:
    found = vn_sub_index(table, concentration)
    assert found == pytest.approx(expected, abs=0.01)


def test_vn_above_the_top_breakpoint_is_beyond_the_index() -> None:
    assert vn_sub_index("pm25", 500.1) is None
    result = vn_hourly(pm25=[600, 600, 600])
    assert result is not None and result.value == 500 and result.beyond
    assert vn_category(result.value).code == "nguy-hai"


@pytest.mark.parametrize(
    ("hourly", "expected"),
    [
        ([50, 30, 20], 40.0),  # w* = 0.4 → w = 0.5: (50 + 15 + 5) / 1.75
        ([30, 30, 30, 30], 30.0),
        ([None, 30, 20], (2 / 3 * 30 + 4 / 9 * 20) / (2 / 3 + 4 / 9)),  # a missing hour: no weight
        ([20, 30], (20 + 2 / 3 * 30) / (1 + 2 / 3)),
        ([None, None, 20, 20], None),  # fewer than 2 of the 3 most recent hours
        ([40, None, None, 40], None),
    ],
)
def test_nowcast_weights_recent_hours_and_needs_two_of_the_last_three(
    hourly: list[float | None], expected: float | None
) -> None:
    found = nowcast(hourly)
    if expected is None:
        assert found is None
    else:
        assert found == pytest.approx(expected)


def test_nowcast_reads_only_twelve_hours() -> None:
    assert nowcast([10.0] * 12 + [1000.0]) == pytest.approx(10.0)


def test_vn_hourly_takes_the_largest_sub_index_and_names_it() -> None:
    result = vn_hourly(pm25=[65] * 12, pm10=[100] * 12, o3=180, no2=40, so2=20, co=3000)
    assert result is not None
    assert (result.value, result.dominant) == (125, "pm25")
    assert set(result.sub_indices) == {"pm25", "pm10", "o3", "no2", "so2", "co"}
    gas = vn_hourly(pm25=[10, 10], o3=380)
    assert gas is not None and (gas.value, gas.dominant) == (190, "o3")


def test_vn_hourly_needs_a_pm_nowcast() -> None:
    assert vn_hourly(o3=180, no2=50) is None
    assert vn_hourly(pm25=[None, None, 40], o3=180) is None


def test_vn_daily_means_pm_and_takes_the_worst_of_the_gases_and_ozone_8h() -> None:
    day: dict[str, Sequence[float | None]] = {
        "pm25": [30.0] * 23 + [None],
        "so2": [100.0] * 12 + [300.0] * 12,
        "o3": [0.0] * 10 + [180.0] * 8 + [0.0] * 6,
        "o3_before": [0.0] * 7,
    }
    result = vn_daily(day)
    assert result is not None
    assert result.sub_indices["pm25"] == pytest.approx(60)
    assert result.sub_indices["so2"] == pytest.approx(50 / 225 * 175 + 50)
    # O3: 1h → 75; the 8 hours of 180 µg/m³ → 8h mean 180 → 162.5 on the 8h column.
    assert result.sub_indices["o3"] == pytest.approx(162.5)
    assert (result.value, result.dominant) == (163, "o3")


def test_vn_daily_skips_the_8h_ozone_index_above_400() -> None:
    result = vn_daily({"pm25": [10.0] * 24, "o3": [500.0] * 24})
    assert result is not None
    assert result.sub_indices["o3"] == pytest.approx(vn_sub_index("o3_1h", 500) or 0)


def test_vn_daily_needs_18_of_the_24_hours() -> None:
    """Data completeness: 75 % of the day's hourly values, per pollutant."""
    enough = [40.0] * 18 + [None] * 6
    result = vn_daily({"pm25": enough})
    assert result is not None and result.value == 80  # the mean of the 18 hours present
    assert vn_daily({"pm25": [40.0] * 17 + [None] * 7}) is None
    assert vn_daily({"pm25": [40.0] * 4}) is None  # a station that started at 20:00
    # The gases cannot make up for missing PM …
    assert vn_daily({"pm25": [40.0] * 10, "no2": [150.0] * 24}) is None
    # … and a gas with too few hours is left out of a day PM completes.
    partial = vn_daily({"pm10": [60.0] * 24, "no2": [150.0] * 12 + [None] * 12, "o3": [300.0] * 3})
    assert partial is not None and set(partial.sub_indices) == {"pm10"}
    assert vn_daily({"pm25": [40.0] * 12}, min_hours=12) is not None


@given(st.lists(st.one_of(st.none(), st.floats(0, 400)), min_size=24, max_size=24))
def test_vn_daily_is_published_exactly_when_pm_has_18_hours(hours: list[float | None]) -> None:
    present = sum(1 for v in hours if v is not None)
    assert (vn_daily({"pm25": hours}) is not None) == (present >= 18)


@pytest.mark.parametrize(
    ("table", "concentration", "expected"),
    [
        ("pm25", 9.0, 50),
        ("pm25", 9.05, 50),  # truncated to 9.0
        ("pm25", 9.1, 51),
        ("pm25", 35.4, 100),
        ("pm25", 35.5, 101),
        ("pm25", 55.5, 151),
        ("pm25", 125.4, 200),
        ("pm25", 325.4, 500),
        ("pm10", 154.9, 100),  # truncated to 154
        ("o3_8h", 0.078, 126),  # 24.5 + 101, halves round up
        ("co", 6.0, 66),
        ("no2", 150, 110),
        ("so2", 35, 50),
    ],
)
def test_epa_sub_indices_truncate_then_interpolate(
    table: str, concentration: float, expected: int
) -> None:
    found = epa_sub_index(table, concentration)
    assert found is not None and int(found + 0.5) == expected


def test_epa_aqi_rules_for_ozone_and_sulphur() -> None:
    assert epa_sub_index("pm25", 325.5) is None
    beyond = epa_aqi(pm25=400)
    assert beyond is not None and beyond.beyond and beyond.value == 500
    ozone = epa_aqi(o3_8h=0.078, o3_1h=0.170)  # 1h: 151 + 49/0.039 × 0.005 ≈ 157
    assert ozone is not None and ozone.dominant == "o3" and ozone.value == 157
    assert epa_aqi(o3_1h=0.100) is None  # the 1-hour table starts at 0.125 ppm
    high = epa_aqi(o3_8h=0.250, o3_1h=0.300)  # 8h beyond its table: the 1-hour one decides
    assert high is not None and high.value == round(201 + 99 / 0.199 * 0.095)
    assert epa_aqi(so2_1h=400, so2_24h=200) == epa_aqi(so2_1h=304.9)
    capped = epa_aqi(so2_1h=400, so2_24h=200)
    assert capped is not None and capped.value == 200
    daily = epa_aqi(so2_1h=400, so2_24h=400)
    assert daily is not None and daily.value == 232


def test_unit_conversion_to_ppb() -> None:
    assert to_ppb("no2", 46.01) == pytest.approx(24.45)
    assert to_ppb("o3", 100) == pytest.approx(50.9375)


@pytest.mark.parametrize(
    ("aqi", "vn", "en", "colour"),
    [
        (0, "tot", "Good", "#00E400"),
        (50, "tot", "Good", "#00E400"),
        (51, "trung-binh", "Moderate", "#FFFF00"),
        (100, "trung-binh", "Moderate", "#FFFF00"),
        (101, "kem", "Poor", "#FF7E00"),
        (150, "kem", "Poor", "#FF7E00"),
        (151, "xau", "Bad", "#FF0000"),
        (200, "xau", "Bad", "#FF0000"),
        (201, "rat-xau", "Very bad", "#8F3F97"),
        (300, "rat-xau", "Very bad", "#8F3F97"),
        (301, "nguy-hai", "Hazardous", "#7E0023"),
        (500, "nguy-hai", "Hazardous", "#7E0023"),
    ],
)
def test_vn_category_boundaries_are_exact(aqi: int, vn: str, en: str, colour: str) -> None:
    category = vn_category(aqi)
    assert (category.code, category.name_en, category.colour) == (vn, en, colour)


def test_every_category_has_names_and_advice_in_both_languages() -> None:
    names_vi = [c.name_vi for c in VN_CATEGORIES]
    assert names_vi == ["Tốt", "Trung bình", "Kém", "Xấu", "Rất xấu", "Nguy hại"]
    for category in (*VN_CATEGORIES, *EPA_CATEGORIES):
        for lang in ("vi", "en"):
            assert category.name(lang) and category.advice(lang) and category.sensitive(lang)
    assert epa_category(101).code == "unhealthyForSensitiveGroups"
    assert [c.dark_text for c in VN_CATEGORIES] == [True, True, False, False, False, False]


concentrations = st.floats(min_value=0, max_value=2000, allow_nan=False)


@given(table=st.sampled_from(sorted(BREAKPOINTS)), a=concentrations, b=concentrations)
def test_vn_sub_index_never_falls_when_the_concentration_rises(
    table: str, a: float, b: float
) -> None:
    lo, hi = sorted((a, b))
    x, y = vn_sub_index(table, lo), vn_sub_index(table, hi)
    if x is None:
        assert y is None
    elif y is not None:
        assert x <= y + 1e-9


@given(table=st.sampled_from(sorted(TABLES)), a=concentrations, b=concentrations)
def test_epa_sub_index_never_falls_when_the_concentration_rises(
    table: str, a: float, b: float
) -> None:
    scale = 1000 if table.startswith(("o3", "co")) else 1
    lo, hi = sorted((a / scale, b / scale))
    x, y = epa_sub_index(table, lo), epa_sub_index(table, hi)
    if x is None:
        assert y is None
    elif y is not None:
        assert x <= y + 1e-9


@given(table=st.sampled_from(sorted(BREAKPOINTS)))
def test_vn_breakpoints_map_to_their_index_exactly(table: str) -> None:
    for bp, index in zip(BREAKPOINTS[table], INDEX, strict=False):
        assert vn_sub_index(table, bp) == pytest.approx(index)


@given(aqi=st.integers(min_value=0, max_value=500))
def test_categories_cover_every_index_once(aqi: int) -> None:
    assert sum(c.low <= aqi <= c.high for c in VN_CATEGORIES) == 1
    assert vn_category(aqi).low <= aqi <= vn_category(aqi).high

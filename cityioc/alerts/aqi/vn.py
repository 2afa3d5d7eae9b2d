"""VN_AQI, Decision 1459/QĐ-TCMT (12 Nov 2019): hourly (NowCast for PM) and daily.

All concentrations in µg/m³, CO included. The index is the maximum of the sub-indices, rounded;
at least one of PM10 / PM2.5 must be present. Segments are continuous (no EPA-style offsets).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from cityioc.alerts.aqi.result import AqiResult, combine, interpolate

INDEX: Final = (0, 50, 100, 150, 200, 300, 400, 500)
# Breakpoints (µg/m³) for the index values above. O3 8h has none above 300.
BREAKPOINTS: Final[dict[str, tuple[float, ...]]] = {
    "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "o3_8h": (0, 100, 120, 170, 210, 400),
    "co": (0, 10000, 30000, 45000, 60000, 90000, 120000, 150000),
    "so2": (0, 125, 350, 550, 800, 1600, 2100, 2630),
    "no2": (0, 100, 200, 700, 1200, 2350, 3100, 3850),
    "pm10": (0, 50, 150, 250, 350, 420, 500, 600),
    "pm25": (0, 25, 50, 80, 150, 250, 350, 500),
}
POLLUTANTS: Final = ("pm25", "pm10", "o3", "no2", "so2", "co")
O3_8H_CEILING: Final = 400.0  # above this maximum 8-hour mean the 8h sub-index is skipped


def vn_sub_index(table: str, concentration: float) -> float | None:
    """The sub-index of one concentration on one column (``o3_1h``, ``pm25`` …), unrounded.

    None when the concentration is above the top breakpoint (the index is then "> 500").
    """
    return interpolate(concentration, BREAKPOINTS[table], INDEX)


def nowcast(hourly: Sequence[float | None]) -> float | None:
    """NowCast of up to 12 hourly means, most recent first (``hourly[0]`` is the current hour).

    ``w* = Cmin/Cmax`` over the available values, ``w = max(w*, 1/2)``, and the mean weighted by
    ``w^(i-1)``; a missing hour (None) has no weight. At least two of the three most recent hours
    are needed, otherwise there is no NowCast (None).
    """
    recent = hourly[:12]
    if sum(1 for c in recent[:3] if c is not None) < 2:
        return None
    present = [(i, c) for i, c in enumerate(recent) if c is not None]
    lowest, highest = min(c for _, c in present), max(c for _, c in present)
    w = max(lowest / highest, 0.5) if highest > 0 else 1.0
    weights = [(w**i, c) for i, c in present]
    return sum(k * c for k, c in weights) / sum(k for k, _ in weights)


def vn_hourly(
    *,
    pm25: Sequence[float | None] = (),
    pm10: Sequence[float | None] = (),
    o3: float | None = None,
    no2: float | None = None,
    so2: float | None = None,
    co: float | None = None,
) -> AqiResult | None:
    """The hourly VN_AQI.

    ``pm25`` and ``pm10`` are the last 12 hourly means, most recent first (for NowCast); the gases
    are the 1-hour means of the hour. None when neither PM NowCast can be computed.
    """
    sub: dict[str, float | None] = {}
    for name, series in (("pm25", pm25), ("pm10", pm10)):
        c = nowcast(series)
        if c is not None:
            sub[name] = vn_sub_index(name, c)
    if not sub:
        return None
    for name, value, table in (("o3", o3, "o3_1h"), ("no2", no2, "no2"), ("so2", so2, "so2")):
        if value is not None:
            sub[name] = vn_sub_index(table, value)
    if co is not None:
        sub["co"] = vn_sub_index("co", co)
    return combine(sub)


MIN_DAILY_HOURS: Final = 18  # of 24: a daily value needs 75 % of the day's hourly values


def vn_daily(
    hourly: Mapping[str, Sequence[float | None]], *, min_hours: int = MIN_DAILY_HOURS
) -> AqiResult | None:
    """The daily VN_AQI from one day's 24 hourly means per pollutant (None for a missing hour).

    PM: the mean of the day's hourly values. SO2, NO2, CO: the day's largest hourly value. O3: the
    larger of the 1h sub-index of the largest hourly value and the 8h sub-index of the largest
    rolling 8-hour mean (a day's 24 means; give ``o3`` the 7 hours before the day first, as
    ``o3_before``, to complete the morning ones), the 8h one skipped above 400 µg/m³.

    Data completeness: a pollutant counts only with at least ``min_hours`` valid hourly values
    (18 of 24, 75 %: Decision 1459 as summarised in shared/reference/aqi.md names no figure, so
    the usual rule for a daily value from hourly ones applies). A day on which neither PM10 nor
    PM2.5 has that many gets no daily index (None), however many hours it has of the gases.
    """
    day = {
        name: values
        for name in POLLUTANTS
        if len(values := [v for v in hourly.get(name, ()) if v is not None]) >= min_hours
    }
    sub: dict[str, float | None] = {}
    for name in ("pm25", "pm10"):
        if name in day:
            sub[name] = vn_sub_index(name, sum(day[name]) / len(day[name]))
    if not sub:
        return None
    for name in ("so2", "no2", "co"):
        if name in day:
            sub[name] = vn_sub_index(name, max(day[name]))
    if "o3" in day:
        one_hour = vn_sub_index("o3_1h", max(day["o3"]))
        series = [*hourly.get("o3_before", ()), *hourly.get("o3", ())]
        best_8h = max_rolling_mean(series, 8, last=len(hourly.get("o3", ())))
        if best_8h is not None and best_8h <= O3_8H_CEILING and one_hour is not None:
            eight = vn_sub_index("o3_8h", best_8h)
            sub["o3"] = max(one_hour, eight) if eight is not None else one_hour
        else:
            sub["o3"] = one_hour
    return combine(sub)


def max_rolling_mean(series: Sequence[float | None], width: int, *, last: int) -> float | None:
    """The largest mean of ``width`` consecutive hours ending in the last ``last`` hours.

    A window needs at least three quarters of its hours (6 of 8); None when no window has.
    """
    best: float | None = None
    for end in range(len(series) - last, len(series)):
        window = [v for v in series[max(0, end - width + 1) : end + 1] if v is not None]
        if len(window) * 4 >= width * 3:
            mean = sum(window) / len(window)
            best = mean if best is None else max(best, mean)
    return best

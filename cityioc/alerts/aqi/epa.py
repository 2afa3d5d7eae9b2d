"""US EPA AQI with the PM2.5 table revised in 2024 (effective 6 May 2024).

Units: PM in µg/m³, O3 and CO in ppm, SO2 and NO2 in ppb. Concentrations are truncated before the
lookup (PM2.5 to 0.1, PM10 to an integer, O3 to 0.001 ppm, CO to 0.1 ppm, SO2 and NO2 to an
integer ppb) and the index is ``(I_hi − I_lo)/(BP_hi − BP_lo) × (C − BP_lo) + I_lo``, rounded.
"""

from __future__ import annotations

import math
from typing import Final

from cityioc.alerts.aqi.result import AqiResult, combine

# (BP_lo, BP_hi, I_lo, I_hi) rows per pollutant and averaging time.
Row = tuple[float, float, int, int]
_I = ((0, 50), (51, 100), (101, 150), (151, 200), (201, 300), (301, 500))


def _rows(bounds: list[tuple[float, float] | None], first: int = 0) -> tuple[Row, ...]:
    return tuple(
        (lo, hi, *_I[first + i]) for i, pair in enumerate(bounds) if pair for lo, hi in [pair]
    )


TABLES: Final[dict[str, tuple[Row, ...]]] = {
    "pm25": _rows(
        [(0.0, 9.0), (9.1, 35.4), (35.5, 55.4), (55.5, 125.4), (125.5, 225.4), (225.5, 325.4)]
    ),
    "pm10": _rows([(0, 54), (55, 154), (155, 254), (255, 354), (355, 424), (425, 604)]),
    "o3_8h": _rows(
        [(0.000, 0.054), (0.055, 0.070), (0.071, 0.085), (0.086, 0.105), (0.106, 0.200)]
    ),
    "o3_1h": _rows([(0.125, 0.164), (0.165, 0.204), (0.205, 0.404), (0.405, 0.604)], first=2),
    "co": _rows([(0.0, 4.4), (4.5, 9.4), (9.5, 12.4), (12.5, 15.4), (15.5, 30.4), (30.5, 50.4)]),
    "so2": _rows([(0, 35), (36, 75), (76, 185), (186, 304), (305, 604), (605, 1004)]),
    "no2": _rows([(0, 53), (54, 100), (101, 360), (361, 649), (650, 1249), (1250, 2049)]),
}
# Digits kept by truncation before the lookup.
DIGITS: Final = {"pm25": 1, "pm10": 0, "o3_8h": 3, "o3_1h": 3, "co": 1, "so2": 0, "no2": 0}
MOLAR_MASS: Final = {"o3": 48.00, "no2": 46.01, "so2": 64.07, "co": 28.01}
MOLAR_VOLUME: Final = 24.45  # litres per mole at 25 °C and 1 atm


def truncate(value: float, digits: int) -> float:
    scale = 10**digits
    # The epsilon keeps 35.4 from truncating to 35.3 through its binary representation.
    return float(math.floor(value * scale + 1e-9) / scale)


def epa_sub_index(table: str, concentration: float) -> float | None:
    """The index of one concentration on one table (``pm25``, ``o3_8h`` …), unrounded.

    None above the top of the table ("beyond the index"); 0.0 for O3 1h below its first row
    (the 1-hour table starts at AQI 101: lower values are not defined by it).
    """
    if concentration < 0:
        raise ValueError("a concentration cannot be negative")
    c = truncate(concentration, DIGITS[table])
    rows = TABLES[table]
    if c < rows[0][0]:
        return 0.0  # only O3 1h starts above zero; epa_aqi does not read it there
    for lo, hi, i_lo, i_hi in rows:
        # Truncation leaves no value between two rows (35.4 | 35.5), so "≤ hi" finds the row.
        if c <= hi:
            return (i_hi - i_lo) / (hi - lo) * (c - lo) + i_lo
    return None


def to_ppb(pollutant: str, ug_m3: float) -> float:
    """µg/m³ → ppb at 25 °C and 1 atm (``o3``, ``no2``, ``so2``, ``co``)."""
    return ug_m3 * MOLAR_VOLUME / MOLAR_MASS[pollutant]


def epa_aqi(
    *,
    pm25: float | None = None,
    pm10: float | None = None,
    o3_8h: float | None = None,
    o3_1h: float | None = None,
    co_8h: float | None = None,
    so2_1h: float | None = None,
    so2_24h: float | None = None,
    no2_1h: float | None = None,
) -> AqiResult | None:
    """The US EPA AQI of the given concentrations (PM as 24-hour or NowCast means, µg/m³; O3 and
    CO in ppm; SO2 and NO2 in ppb). None when nothing is given.

    O3: the larger of the 8-hour and the 1-hour index; the 8-hour table stops at AQI 300, so an
    8-hour mean above 0.200 ppm is left to the 1-hour one. SO2: the 1-hour table defines AQI up to
    200; above 304 ppb the 24-hour mean decides (AQI 200 while it stays below 305 ppb). Without a
    24-hour mean the 1-hour value is read on the same table.
    """
    sub: dict[str, float | None] = {}
    for name, value in (("pm25", pm25), ("pm10", pm10), ("co", co_8h), ("no2", no2_1h)):
        if value is not None:
            sub[name] = epa_sub_index(name, value)
    ozone = _ozone(o3_8h, o3_1h)
    if ozone:
        sub["o3"] = ozone[0]
    if so2_1h is not None:
        sub["so2"] = _sulphur(so2_1h, so2_24h)
    return combine(sub)


def _ozone(eight: float | None, one: float | None) -> list[float | None]:
    """[the O3 sub-index] (None inside: beyond the table), or [] when neither table applies
    (no values, a 1-hour value under 0.125 ppm alone, or an 8-hour mean over 0.200 ppm alone)."""
    found: list[float | None] = []
    if eight is not None and truncate(eight, 3) <= 0.200:
        found.append(epa_sub_index("o3_8h", eight))
    if one is not None and truncate(one, 3) >= 0.125:
        found.append(epa_sub_index("o3_1h", one))
    if not found:
        return []
    if any(value is None for value in found):
        return [None]
    return [max(value for value in found if value is not None)]


def _sulphur(one: float, day: float | None) -> float | None:
    if truncate(one, 0) <= 304:
        return epa_sub_index("so2", one)
    if day is None:
        return epa_sub_index("so2", one)
    if truncate(day, 0) < 305:
        return 200.0
    return epa_sub_index("so2", day)

"""The shared natural world the sensors observe: local time, seasons, weather, rain, the tide.

Everything is a pure function of time (and of a weather cell or sensor key for the random parts),
so two sensors in the same cell see the same shower and a reading never depends on the readings
before it. Local time is Asia/Ho_Chi_Minh, a fixed UTC+7 (no daylight saving since 1975).
Figures are typical of Bình Dương / southern Vietnam and are illustrative, not measured.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from cityioc.sim.noise import normal, smooth, uniform

HOUR = 3_600_000
DAY = 24 * HOUR
LOCAL_OFFSET_MS = 7 * HOUR  # Asia/Ho_Chi_Minh
YEAR_DAYS = 365.2425
# Mean air temperature per month (°C), Thủ Dầu Một climate normals, rounded.
MONTHLY_TEMPERATURE = np.array(
    [26.2, 27.0, 28.2, 29.3, 28.9, 28.0, 27.6, 27.6, 27.3, 27.1, 26.8, 26.0]
)
# Tide constituents at the Sài Gòn river near Thủ Dầu Một (period h, amplitude m, phase rad),
# damped from the coast; the M2/S2 beat gives spring and neap tides, K1/O1 the daily inequality.
TIDE = ((12.4206, 0.55, 0.3), (12.0, 0.18, 1.1), (23.9345, 0.38, 2.0), (25.8193, 0.28, 4.1))


@dataclass
class When:
    """Calendar features of an array of instants (epoch ms, UTC)."""

    t: np.ndarray

    @cached_property
    def local(self) -> np.ndarray:
        return self.t + LOCAL_OFFSET_MS

    @cached_property
    def day(self) -> np.ndarray:
        """Local day number since 1970-01-01."""
        return self.local // DAY

    @cached_property
    def hour(self) -> np.ndarray:
        """Local hour of day as a float in [0, 24)."""
        return np.asarray((self.local - self.day * DAY).astype(np.float64) / HOUR)

    @cached_property
    def year(self) -> np.ndarray:
        """Fraction of the year in [0, 1): 0 on 1 January."""
        return year_fraction(self.day)

    @cached_property
    def weekday(self) -> np.ndarray:
        """0 Monday … 6 Sunday (1970-01-01 was a Thursday)."""
        return (self.day + 3) % 7

    @cached_property
    def weekend(self) -> np.ndarray:
        """How much of a weekend the day is: 0 on weekdays, 0.6 on Saturday, 1 on Sunday."""
        return np.where(self.weekday == 6, 1.0, np.where(self.weekday == 5, 0.6, 0.0))


def year_fraction(day: np.ndarray) -> np.ndarray:
    return np.mod(day.astype(np.float64), YEAR_DAYS) / YEAR_DAYS


def wet_season(year: np.ndarray) -> np.ndarray:
    """0 in the dry season (Dec–Apr), 1 in the heart of the rainy season (Jun–Oct)."""
    return np.clip(0.5 + 0.75 * np.sin(2 * np.pi * (year - 0.36)), 0.0, 1.0)


def bump(hour: np.ndarray, centre: float, width: float) -> np.ndarray:
    """A bell around ``centre`` (hours) on the 24-hour circle."""
    d = np.abs(hour - centre)
    d = np.minimum(d, 24.0 - d)
    return np.exp(-0.5 * (d / width) ** 2)


def traffic_profile(when: When) -> np.ndarray:
    """Relative road traffic in [0, 1]: peaks near 07:00 and 17:00 on weekdays, low at night."""
    h = when.hour
    day = 1.0 / (1.0 + np.exp(-(h - 5.8) * 2.2)) - 1.0 / (1.0 + np.exp(-(h - 22.0) * 1.4))
    peaks = 0.55 * bump(h, 7.3, 0.75) + 0.5 * bump(h, 17.4, 0.95)
    weekday = 0.06 + 0.42 * day + peaks
    weekend = 0.05 + 0.5 * day + 0.12 * bump(h, 10.5, 2.0) + 0.1 * bump(h, 18.5, 1.5)
    return np.asarray(weekday * (1.0 - when.weekend) + weekend * when.weekend)


def daylight(when: When) -> np.ndarray:
    """Sun elevation proxy in [0, 1]: 0 at night, 1 at solar noon (about 11:50 local)."""
    return np.clip(np.sin(np.pi * (when.hour - 5.9) / 12.2), 0.0, 1.0)


def sunset_hour(year: np.ndarray) -> np.ndarray:
    return 17.85 + 0.35 * np.cos(2 * np.pi * (year - 0.52))


def sunrise_hour(year: np.ndarray) -> np.ndarray:
    return 5.9 + 0.25 * np.cos(2 * np.pi * (year - 0.03))


# --- rain --------------------------------------------------------------------------------------


def pulse_rain(
    t_from: np.ndarray, t_to: np.ndarray, start: np.ndarray, length: np.ndarray, peak: np.ndarray
) -> np.ndarray:
    """Millimetres fallen in [t_from, t_to] from a shower whose rate (mm/h) is a half sine."""
    a = np.clip(t_from, start, start + length)
    b = np.clip(t_to, start, start + length)
    length_h = length.astype(np.float64) / HOUR
    phase_a = np.pi * (a - start) / np.maximum(length, 1)
    phase_b = np.pi * (b - start) / np.maximum(length, 1)
    return np.asarray(peak * length_h / np.pi * (np.cos(phase_a) - np.cos(phase_b)))


def _showers(seed: int, cells: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, ...]:
    """The day's shower in each cell (at most one): start, length (ms) and peak rate (mm/h)."""
    wet = wet_season(year_fraction(day))
    occurs = uniform(seed, "rain/occurs", cells, day) < 0.05 + 0.6 * wet
    late = uniform(seed, "rain/late", cells, day) < 0.2  # most showers fall in the afternoon
    when = uniform(seed, "rain/start", cells, day)
    start_h = np.where(late, 20.0 + 3.5 * when, 13.0 + 6.0 * when)
    start = day * DAY - LOCAL_OFFSET_MS + (start_h * HOUR).astype(np.int64)
    length = ((0.5 + 2.0 * uniform(seed, "rain/length", cells, day)) * HOUR).astype(np.int64)
    peak = np.where(occurs, 3.0 + 35.0 * uniform(seed, "rain/peak", cells, day) ** 2, 0.0)
    return start, length, peak


def rain_between(
    seed: int, cells: np.ndarray, when: When, back_from_ms: int, back_to_ms: int
) -> np.ndarray:
    """Millimetres of ordinary rain in [t − back_from, t − back_to] (a window within 3 h)."""
    total = np.zeros(len(when.t))
    for day in (when.day, when.day - 1):  # a shower lasts at most 2.5 h past its day
        start, length, peak = _showers(seed, cells, day)
        total += pulse_rain(when.t - back_from_ms, when.t - back_to_ms, start, length, peak)
    return total


# --- air ---------------------------------------------------------------------------------------


def monthly_temperature(year: np.ndarray) -> np.ndarray:
    pos = year * 12.0 - 0.5
    lo = np.floor(pos).astype(np.int64)
    frac = pos - lo
    return MONTHLY_TEMPERATURE[lo % 12] * (1 - frac) + MONTHLY_TEMPERATURE[(lo + 1) % 12] * frac


def diurnal_shape(hour: np.ndarray) -> np.ndarray:
    """-1 at dawn (05:30), +1 at 14:00: a quick morning rise and a long evening fall."""
    rising = (hour >= 5.5) & (hour < 14.0)
    since_peak = np.mod(hour - 14.0, 24.0)
    return np.where(
        rising,
        -np.cos(np.pi * (hour - 5.5) / 8.5),
        np.cos(np.pi * since_peak / 15.5),
    )


@dataclass(frozen=True, slots=True)
class Air:
    temperature: np.ndarray  # °C
    humidity: np.ndarray  # fraction 0–1
    rain: np.ndarray  # mm in the last hour


def air(seed: int, cells: np.ndarray, keys: np.ndarray, when: When) -> Air:
    """Temperature, relative humidity and rain of the last hour, per observation."""
    rain = rain_between(seed, cells, when, HOUR, 0)
    wet = wet_season(when.year)
    mean = monthly_temperature(when.year)
    swing = 3.6 - 1.0 * wet
    temperature = (
        mean
        + swing * diurnal_shape(when.hour)
        + 1.2 * smooth(seed, "temperature/region", cells, when.t, DAY)
        + 0.4 * (uniform(seed, "temperature/bias", keys, np.zeros_like(when.t)) - 0.5)
        + 0.12 * normal(seed, "temperature/noise", keys, when.t)
        - np.minimum(5.0, 0.25 * rain)
    )
    humidity = (
        0.72
        + 0.12 * wet
        - 0.035 * (temperature - mean)
        + np.minimum(0.15, 0.02 * rain)
        + 0.015 * normal(seed, "humidity/noise", keys, when.t)
    )
    return Air(temperature, np.clip(humidity, 0.3, 1.0), rain)


# --- water -------------------------------------------------------------------------------------


def tide(t_ms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """River level from the tide (m, about ±1.3) and its rate of change (m/h)."""
    hours = t_ms.astype(np.float64) / HOUR
    level = np.zeros(len(t_ms))
    rate = np.zeros(len(t_ms))
    for period, amplitude, phase in TIDE:
        omega = 2 * np.pi / period
        level += amplitude * np.cos(omega * hours + phase)
        rate -= amplitude * omega * np.sin(omega * hours + phase)
    return level, rate


def river_season(year: np.ndarray) -> np.ndarray:
    """Seasonal mean level (m): highest with the October–November high tides and floods."""
    return 0.22 * np.cos(2 * np.pi * (year - 0.85))

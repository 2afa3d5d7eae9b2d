"""What each scenario does to the readings of the sensors it touches while it runs.

Each effect takes the observations of one type (``Obs``), their unrounded values, the ``keep``
mask (False: the reading is not sent) and the observations it applies to (``sel``: indices of
observations of touched sensors inside the run's time span), and changes them in place. The
shapes are designed against the thresholds the operations centre watches (see docs/simulator.md).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from cityioc.sim.climate import HOUR, pulse_rain
from cityioc.sim.models import DEFECTIVE, Obs, Values
from cityioc.sim.scenarios import MINUTE, ScenarioRun

# PM2.5 plateaus (µg/m³): a NowCast of 40 is VN_AQI ≈ 80 ("Trung bình"), of 65 ≈ 125 ("Kém"),
# of 110 ≈ 171 ("Xấu").
MODERATE_PM25 = 40.0
POOR_PM25 = 65.0
BAD_PM25 = 110.0
STORM_PEAK_MM_H = 70.0

Effect = Callable[[ScenarioRun, Obs, Values, np.ndarray, np.ndarray, np.ndarray], None]


def _smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return np.asarray(x * x * (3.0 - 2.0 * x))


def envelope(run: ScenarioRun, t: np.ndarray, ramp_ms: int) -> np.ndarray:
    """0 → 1 over ``ramp_ms`` after the start, 1 → 0 over ``ramp_ms`` before the end."""
    ramp = max(1, min(ramp_ms, run.duration_ms // 3))
    up = _smoothstep((t - run.start_ms).astype(np.float64) / ramp)
    down = _smoothstep((run.end_ms - t).astype(np.float64) / ramp)
    return np.asarray(np.minimum(up, down))


def flood_shape(u: np.ndarray) -> np.ndarray:
    """A flood wave over the run: rises in the first fifth, holds, recedes by nine tenths."""
    rise = _smoothstep(u / 0.2)
    fall = 1.0 - _smoothstep((u - 0.5) / 0.4)
    return np.where(u < 0.5, rise, fall)


def _storm_rain(run: ScenarioRun, t: np.ndarray) -> np.ndarray:
    """Millimetres in the last hour from the downpour, which fills the first half of the run."""
    n = len(t)
    start = np.full(n, run.start_ms, np.int64)
    length = np.full(n, run.duration_ms // 2, np.int64)
    peak = np.full(n, STORM_PEAK_MM_H * run.intensity)
    return pulse_rain(t - HOUR, t, start, length, peak)


def heavy_rain(
    run: ScenarioRun, o: Obs, v: Values, keep: np.ndarray, sel: np.ndarray, w: np.ndarray
) -> None:
    t = o.t[sel]
    kind = o.group.type
    if kind == "FloodMonitoring":
        levels = o.group.levels[o.idx[sel]]
        ref, alert, danger = levels[:, 0], levels[:, 1], levels[:, 2]
        peak = alert + (danger - alert) * (0.25 + 0.5 * w) * run.intensity
        wave = ref + (peak - ref) * flood_shape(run.progress(t))
        v["currentLevel"][sel] = np.maximum(v["currentLevel"][sel], wave)
        return
    storm = _storm_rain(run, t)
    wetness = np.minimum(1.0, storm / 20.0)
    if kind == "WeatherObserved":
        v["precipitation"][sel] = np.maximum(v["precipitation"][sel], storm)
        v["windSpeed"][sel] += 3.0 * wetness
    if kind in ("WeatherObserved", "AirQualityObserved"):
        v["temperature"][sel] -= 3.0 * wetness
        v["relativeHumidity"][sel] = np.maximum(v["relativeHumidity"][sel], 0.8 + 0.17 * wetness)
    if kind == "AirQualityObserved":
        for name in ("pm25", "pm10"):
            v[name][sel] /= 1.0 + storm / 8.0
    if kind == "TrafficFlowObserved":
        v["averageVehicleSpeed"][sel] *= 1.0 - 0.3 * wetness


def pollution_episode(
    run: ScenarioRun, o: Obs, v: Values, keep: np.ndarray, sel: np.ndarray, w: np.ndarray
) -> None:
    e = envelope(run, o.t[sel], 90 * MINUTE)
    level = np.where(w >= 1.0, BAD_PM25, np.where(w >= 0.5, POOR_PM25, MODERATE_PM25))
    level = level * run.intensity
    level = level * (1.0 + 0.06 * o.normal("episode/pm25")[sel])
    old = v["pm25"][sel]
    new = np.maximum(old, (1.0 - e) * old + e * level)  # an episode never cleans the air
    v["pm25"][sel] = new
    v["pm10"][sel] += 1.6 * (new - old)
    v["so2"][sel] *= 1.0 + e
    v["co"][sel] *= 1.0 + 0.5 * e
    v["no2"][sel] *= 1.0 + 0.3 * e


def sensor_outage(
    run: ScenarioRun, o: Obs, v: Values, keep: np.ndarray, sel: np.ndarray, w: np.ndarray
) -> None:
    keep[sel] = False


def streetlight_faults(
    run: ScenarioRun, o: Obs, v: Values, keep: np.ndarray, sel: np.ndarray, w: np.ndarray
) -> None:
    v["status"][sel] = DEFECTIVE
    v["illuminanceLevel"][sel] = 0.0
    v["powerConsumption"][sel] = 1.5


def traffic_jam(
    run: ScenarioRun, o: Obs, v: Values, keep: np.ndarray, sel: np.ndarray, w: np.ndarray
) -> None:
    e = envelope(run, o.t[sel], 10 * MINUTE)
    u = o.uniform("jam")[sel]
    v["averageVehicleSpeed"][sel] = (1.0 - e) * v["averageVehicleSpeed"][sel] + e * (6.0 + 6.0 * u)
    v["occupancy"][sel] = (1.0 - e) * v["occupancy"][sel] + e * (0.82 + 0.1 * u)
    v["intensity"][sel] *= 1.0 - 0.6 * e
    v["congested"][sel] = v["congested"][sel] | (e >= 0.5)


EFFECTS: dict[str, Effect] = {
    "heavy_rain": heavy_rain,
    "pollution_episode": pollution_episode,
    "sensor_outage": sensor_outage,
    "streetlight_faults": streetlight_faults,
    "traffic_jam": traffic_jam,
}

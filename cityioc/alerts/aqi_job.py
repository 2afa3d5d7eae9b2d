"""The air quality index of every ``AirQualityObserved`` station, kept current in the hub.

Every ``interval_s`` (and just after each new hour) each station's hourly means are read from the
hourly rollups — a few rows per pollutant, cheap at hundreds of stations — and the hourly VN_AQI
(NowCast for PM), its category and colour, the dominant pollutant and the US EPA AQI are written
back through the hub (``airQualityIndex``, ``airQualityLevel``, ``airQualityColor``,
``dominantPollutant``, ``airQualityIndexUS``, ``airQualityLevelUS``), observed at the time of the
latest reading, so rules, maps and reports read them like any attribute. Once a local day is over,
its daily VN_AQI is written as ``airQualityIndexDaily`` / ``airQualityLevelDaily`` (observed at
the day's local midnight) — only for a complete enough day: a pollutant needs 18 of its 24 hourly
means, and PM10 or PM2.5 must have them (``vn_daily``); a station that reported less that day
gets no daily index for it (the attribute keeps its earlier day, dated). Stations are read a few
at a time and written in one batch per page, so the event loop stays free.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cityioc.alerts.aqi import (
    AqiResult,
    epa_aqi,
    epa_category,
    nowcast,
    to_ppb,
    vn_category,
    vn_daily,
    vn_hourly,
)
from cityioc.alerts.rules.conditions import observed_at
from cityioc.core.clock import Clock, from_ms, iso_ms, to_ms
from cityioc.hub.context import core_context
from cityioc.hub.models import StoredEntity
from cityioc.hub.service import Hub
from cityioc.store.port import EntityQuery, SeriesKey

log = logging.getLogger(__name__)
ACTOR = "alerts:aqi"
HOUR = 3_600_000
PAGE = 200
POLLUTANTS = ("pm25", "pm10", "o3", "no2", "so2", "co")
_core = core_context()
AQO = _core.expand_type("AirQualityObserved")
ATTR = {p: _core.expand_term(p) for p in POLLUTANTS}
OUT = {
    name: _core.expand_term(name)
    for name in (
        "airQualityIndex",
        "airQualityLevel",
        "airQualityColor",
        "dominantPollutant",
        "airQualityIndexUS",
        "airQualityLevelUS",
        "airQualityIndexDaily",
        "airQualityLevelDaily",
    )
}
Hourly = dict[str, dict[int, float]]  # pollutant → hour start → mean


class AqiJob:
    def __init__(
        self,
        hub: Hub,
        clock: Clock,
        tenants: Callable[[], Awaitable[list[str]]],
        *,
        interval_s: float = 300.0,
        timezone: str = "Asia/Ho_Chi_Minh",
        concurrency: int = 4,
    ) -> None:
        self.hub, self.clock, self.tenants = hub, clock, tenants
        self.interval_s = interval_s
        self.zone = ZoneInfo(timezone)
        self._gate = asyncio.Semaphore(concurrency)
        self.runs = 0

    async def run(self) -> None:
        """Compute, then sleep until the next interval or just after the next hour."""
        while True:
            try:
                for tenant in await self.tenants():
                    await self.run_once(tenant)
            except Exception:  # the next round may succeed (a database restart …)
                log.exception("AQI computation failed")
            now = self.clock.now_ms()
            next_hour = (now // HOUR + 1) * HOUR + 30_000
            await asyncio.sleep(max(1.0, min(self.interval_s, (next_hour - now) / 1000)))

    async def run_once(self, tenant: str) -> int:
        """One pass over the tenant's stations; returns how many were written."""
        self.runs += 1
        now = self.clock.now_ms()
        written, offset = 0, 0
        while True:
            query = EntityQuery(types=(AQO,), limit=PAGE, offset=offset)
            page, _ = await self.hub.store.query_entities(tenant, query)
            bodies = [
                b
                for b in await asyncio.gather(*(self._station(tenant, e, now) for e in page))
                if b is not None
            ]
            if bodies:
                result = await self.hub.batch(tenant, "update", bodies, ACTOR)
                written += len(result.success)
            if len(page) < PAGE:
                return written
            offset += PAGE

    async def _station(self, tenant: str, entity: StoredEntity, now: int) -> dict[str, Any] | None:
        present = [p for p in POLLUTANTS if ATTR[p] in entity.doc]
        if not any(p in present for p in ("pm25", "pm10")):
            return None
        day_start = self._day_start(now, days_back=1)
        async with self._gate:
            hourly = await self._hourly(tenant, entity.id, present, day_start - 8 * HOUR, now)
        attrs = self._hourly_attrs(entity, hourly, now)
        attrs.update(self._daily_attrs(entity, hourly, day_start))
        if not attrs:
            return None
        return {"id": entity.id, "type": entity.types, **attrs}

    async def _hourly(
        self, tenant: str, eid: str, present: Sequence[str], start: int, end: int
    ) -> Hourly:
        out: Hourly = {}
        for pollutant in present:
            key = SeriesKey(eid, ATTR[pollutant])
            data = await self.hub.store.read_rollups(tenant, key, HOUR, start, end + 1)
            out[pollutant] = {
                int(b): total / n
                for b, total, n in zip(
                    data.buckets.tolist(), data.sum.tolist(), data.n.tolist(), strict=True
                )
                if n
            }
        return out

    def _hourly_attrs(self, entity: StoredEntity, hourly: Hourly, now: int) -> dict[str, Any]:
        current = now // HOUR * HOUR
        hours = [current - i * HOUR for i in range(12)]
        series = {p: [hourly.get(p, {}).get(h) for h in hours] for p in POLLUTANTS}
        gases = {p: _latest(series[p][:2]) for p in ("o3", "no2", "so2", "co")}
        vn = vn_hourly(pm25=series["pm25"], pm10=series["pm10"], **gases)
        if vn is None:
            return {}
        at = self._observed(entity)
        if at is None:
            return {}
        previous = entity.doc.get(OUT["airQualityIndex"])
        unchanged = isinstance(previous, dict) and previous.get("observedAt") == at
        if unchanged and isinstance(previous, dict) and previous.get("value") == vn.value:
            return {}  # nothing new since the last pass
        category = vn_category(vn.value)
        attrs = {
            OUT["airQualityIndex"]: _prop(vn.value, at),
            OUT["airQualityLevel"]: _prop(category.code, at),
            OUT["airQualityColor"]: _prop(category.colour, at),
            OUT["dominantPollutant"]: _prop(vn.dominant, at),
        }
        us = _epa(series)
        if us is not None:
            attrs[OUT["airQualityIndexUS"]] = _prop(us.value, at)
            attrs[OUT["airQualityLevelUS"]] = _prop(epa_category(us.value).code, at)
        return attrs

    def _daily_attrs(self, entity: StoredEntity, hourly: Hourly, day: int) -> dict[str, Any]:
        at = iso_ms(day)
        if observed_at(entity.doc, OUT["airQualityIndexDaily"]) == at:
            return {}
        hours = [day + i * HOUR for i in range(24)]
        values: dict[str, list[float | None]] = {
            p: [hourly.get(p, {}).get(h) for h in hours] for p in POLLUTANTS
        }
        values["o3_before"] = [hourly.get("o3", {}).get(day - i * HOUR) for i in range(7, 0, -1)]
        daily = vn_daily(values)
        if daily is None:
            return {}  # too few hours that day (vn_daily): no daily index for it
        return {
            OUT["airQualityIndexDaily"]: _prop(daily.value, at),
            OUT["airQualityLevelDaily"]: _prop(vn_category(daily.value).code, at),
        }

    def _observed(self, entity: StoredEntity) -> str | None:
        found = [observed_at(entity.doc, ATTR[p]) for p in POLLUTANTS]
        times = [t for t in found if t is not None]
        return max(times) if times else None

    def _day_start(self, now: int, *, days_back: int) -> int:
        local = from_ms(now).astimezone(self.zone)
        midnight = datetime(local.year, local.month, local.day, tzinfo=self.zone)
        return to_ms(midnight - timedelta(days=days_back))


def _latest(values: Sequence[float | None]) -> float | None:
    return next((v for v in values if v is not None), None)


def _mean_of(values: Sequence[float | None], need: int) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if len(present) >= need else None


def _epa(series: Mapping[str, list[float | None]]) -> AqiResult | None:
    """The US EPA AQI from the same hourly means (gases converted from µg/m³)."""

    def ppm(p: str, v: float | None) -> float | None:
        return None if v is None else to_ppb(p, v) / 1000

    o3 = [ppm("o3", v) for v in series["o3"][:8]]
    co = [ppm("co", v) for v in series["co"][:8]]
    so2, no2 = _latest(series["so2"][:2]), _latest(series["no2"][:2])
    return epa_aqi(
        pm25=nowcast(series["pm25"]),
        pm10=nowcast(series["pm10"]),
        o3_8h=_mean_of(o3, 6),
        o3_1h=_latest(o3[:2]),
        co_8h=_mean_of(co, 6),
        so2_1h=to_ppb("so2", so2) if so2 is not None else None,
        no2_1h=to_ppb("no2", no2) if no2 is not None else None,
    )


def _prop(value: Any, at: str) -> dict[str, Any]:
    return {"type": "Property", "value": value, "observedAt": at}

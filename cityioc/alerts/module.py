"""The alerts module assembled: the service, the rules, the engine, CAP intake and feed, the AQI
job — built once by the web app (``app.state.alerts``) and started and stopped with it."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from cityioc.alerts.aqi_job import AqiJob
from cityioc.alerts.cap_feed import CapFeed
from cityioc.alerts.cap_intake import CapIntake
from cityioc.alerts.content import set_local_timezone
from cityioc.alerts.engine import Engine
from cityioc.alerts.engine_lease import EngineLease
from cityioc.alerts.rule_store import RuleStore
from cityioc.alerts.service import Alerts
from cityioc.core.clock import Clock
from cityioc.core.settings import Settings
from cityioc.hub.service import Hub
from cityioc.packs.zone import city_timezone

log = logging.getLogger(__name__)
EXPIRE_EVERY_S = 60.0  # CAP alerts past their `expires` are cleared this often


@dataclass(slots=True)
class AlertsModule:
    alerts: Alerts
    rules: RuleStore
    engine: Engine
    cap: CapIntake
    aqi: AqiJob | None = None
    feed: CapFeed | None = None
    run_engine: bool = True
    # With several processes (``nats_url``): which engine evaluates (engine_lease.py)
    lease: EngineLease | None = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @classmethod
    def build(cls, hub: Hub, clock: Clock, settings: Settings) -> AlertsModule:
        # Times in alert texts are the city's, as the UI shows them (the pack's time zone).
        set_local_timezone(city_timezone(settings) if settings.city_pack else settings.aqi_timezone)
        alerts = Alerts(hub, clock)
        rules = RuleStore(hub, clock)
        engine = Engine(alerts, rules, clock)
        cap = CapIntake(alerts, clock)
        aqi = None
        if settings.aqi_interval_s:
            aqi = AqiJob(
                hub,
                clock,
                engine.memory.known_tenants,
                interval_s=settings.aqi_interval_s,
                timezone=settings.aqi_timezone,
            )
        feed = None
        if settings.cap_feed_url:
            feed = CapFeed(settings.cap_feed_url, cap, interval_s=settings.cap_feed_interval_s)
        lease = EngineLease(engine, clock) if settings.nats_url and settings.alerts_engine else None
        return cls(alerts, rules, engine, cap, aqi, feed, settings.alerts_engine, lease)

    @property
    def evaluating(self) -> bool:
        """Whether this process's rule engine evaluates changes (what it publishes says so)."""
        return self.run_engine and self.engine.leading

    async def start(self) -> None:
        if self.run_engine:
            if self.lease is not None:
                await self.lease.first()
                self._tasks.append(asyncio.create_task(self.lease.run()))
            await self.engine.start()
        if self.aqi is not None:
            self._tasks.append(asyncio.create_task(self.aqi.run()))
        if self.feed is not None:
            self._tasks.append(asyncio.create_task(self.feed.run()))
        self._tasks.append(asyncio.create_task(self._expire()))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.feed is not None:
            await self.feed.aclose()
        if self.run_engine:
            await self.engine.stop()
            if self.lease is not None:
                await self.lease.release()

    async def _expire(self) -> None:
        while True:
            await asyncio.sleep(EXPIRE_EVERY_S)
            try:
                for tenant in await self.engine.memory.known_tenants():
                    await self.cap.expire(tenant)
            except Exception:  # tried again next time
                log.exception("clearing expired CAP alerts failed")

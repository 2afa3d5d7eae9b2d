"""The living demo inside the server: load a city pack, write some history, then keep the sensors
reporting in real time; operators trigger scenarios over HTTP (``/api/v1/sim``).

It runs in the server's own process and writes through the hub, like any other ingest path, so the
live stream, subscriptions and rules see its readings exactly as they would see real sensors'.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cityioc.core.errors import ServiceUnavailable
from cityioc.packs import load_pack, validate_pack
from cityioc.sim.backfill import BackfillReport, backfill
from cityioc.sim.engine import Engine
from cityioc.sim.publishers import InProcessPublisher
from cityioc.sim.simulator import Simulator

if TYPE_CHECKING:
    from cityioc.web.state import City

log = logging.getLogger(__name__)
BACKFILL_INTERVAL_MS = 15 * 60_000


@dataclass(slots=True)
class DemoOptions:
    pack: str = "binh-duong"
    seed: int = 7
    backfill_ms: int = 0  # history to write before going live
    tenant: str = "default"


@dataclass(slots=True)
class SimulationRuntime:
    """Started and stopped by the app's lifespan; ``simulator`` is None until it is ready."""

    options: DemoOptions
    simulator: Simulator | None = None
    phase: str = "starting"  # starting → backfill → live (or failed)
    history: BackfillReport | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    async def start(self, city: City) -> None:
        """Load the pack now (fast); history and live readings continue in the background."""
        pack = validate_pack(self.options.pack)
        report = await load_pack(city.hub, pack, tenant=self.options.tenant)
        log.info("city pack loaded: %s", report.summary())
        self._task = asyncio.create_task(self._run(city))

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def require(self) -> Simulator:
        if self.simulator is None:
            raise ServiceUnavailable(f"the simulator is not live yet ({self.phase})")
        return self.simulator

    async def _run(self, city: City) -> None:
        o = self.options
        try:
            sim = await Simulator.from_hub(city.hub, o.tenant, seed=o.seed)
            publisher = InProcessPublisher(city.hub, o.tenant, actor="simulator")
            if o.backfill_ms:
                # History first: appending is much cheaper than merging late data into it.
                self.phase = "backfill"
                end = city.clock.now_ms()
                engine = Engine(sim.fleet, seed=o.seed, interval_ms=BACKFILL_INTERVAL_MS)
                self.history = await backfill(engine, publisher, end - o.backfill_ms, end)
                log.info(
                    "history written: %d readings in %.1f s",
                    self.history.accepted,
                    self.history.seconds,
                )
            self.simulator, self.phase = sim, "live"
            await sim.run(publisher, self._stop)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.phase = "failed"
            log.exception("the demo simulator stopped")

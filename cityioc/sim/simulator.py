"""The live simulator: ticks in real time, and takes scenario triggers while it runs.

    sim = await Simulator.from_hub(hub, "default", seed=7)
    task = asyncio.create_task(sim.run(InProcessPublisher(hub), stop))
    sim.trigger("heavy_rain")                      # now, default duration
    sim.trigger("pollution_episode", start=..., duration=timedelta(hours=3))
    [r.to_dict(now) for r in sim.runs()]           # for an operator's API

Each step publishes every report due since the previous step, so however long a publish takes
the readings keep their own observation times and nothing is sent twice; if the receiver falls
further behind than ``max_lag_ms``, the oldest part is skipped (and counted) rather than queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from cityioc.core.clock import Clock, SystemClock, to_ms
from cityioc.core.errors import ResourceNotFound
from cityioc.hub.service import Hub
from cityioc.sim.engine import Engine, Reading, windows
from cityioc.sim.fleet import Fleet, clone_entities
from cityioc.sim.publishers import Publisher
from cityioc.sim.scenarios import CATALOGUE, ScenarioInfo, ScenarioRun, plan
from cityioc.sim.sources import entities_from_store

log = logging.getLogger(__name__)
KEEP_FINISHED_MS = 24 * 3_600_000
MAX_BATCH = 50_000


@dataclass(slots=True)
class SimStats:
    started_at: int | None = None
    simulated_to: int | None = None  # every report due before this has been published
    readings: int = 0  # accepted by the receiver
    steps: int = 0
    skipped_ms: int = 0  # simulated time dropped because publishing fell behind
    errors: int = 0
    last_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Simulator:
    def __init__(
        self,
        fleet: Fleet,
        *,
        seed: int = 0,
        interval_ms: int = 60_000,
        clock: Clock | None = None,
        slice_ms: int = 1000,
        max_lag_ms: int | None = None,
        batch: int = MAX_BATCH,
    ) -> None:
        if not len(fleet):
            raise ValueError("the fleet is empty: load a city pack (its sensors) first")
        self.fleet = fleet
        self.seed = seed
        self.engine = Engine(fleet, seed=seed, interval_ms=interval_ms)
        self.clock = clock or SystemClock()
        self.slice_ms = slice_ms
        self.max_lag_ms = max_lag_ms or max(2 * interval_ms, 60_000)
        self.batch = batch
        self.stats = SimStats()
        self._runs: list[ScenarioRun] = []
        self._count = 0
        self._cursor: int | None = None
        self._prepared: int | None = None
        self._replays: list[ScenarioRun] = []  # started before what was already published

    @classmethod
    async def from_hub(
        cls, hub: Hub, tenant: str = "default", *, sensors: int | None = None, **options: Any
    ) -> Simulator:
        """The sensors loaded in the hub (scaled to ``sensors`` if given) as a simulator."""
        fleet = Fleet.from_entities(await entities_from_store(hub.store, tenant))
        if sensors is not None and len(fleet):
            fleet = fleet.scaled(sensors, options.get("seed", 0))
        return cls(fleet, clock=options.pop("clock", None) or hub.clock, **options)

    # --- scenarios -----------------------------------------------------------------------------

    @staticmethod
    def catalogue() -> list[ScenarioInfo]:
        return list(CATALOGUE.values())

    def trigger(
        self,
        name: str,
        start: int | datetime | None = None,
        duration: int | timedelta | None = None,
        *,
        intensity: float = 1.0,
        area: str | None = None,
        target: str | None = None,
    ) -> ScenarioRun:
        """Plan a run (now unless ``start`` is given; ms or an aware datetime) and return it.

        Raises ``ResourceNotFound`` for an unknown scenario and ``BadRequestData`` when the
        parameters are wrong or the scenario touches no sensor of this fleet.
        """
        begin = self.clock.now_ms() if start is None else _ms(start)
        length = (
            duration // timedelta(milliseconds=1) if isinstance(duration, timedelta) else duration
        )
        self._count += 1
        run = plan(
            name,
            self.fleet,
            begin,
            length,
            intensity=intensity,
            area=area,
            target=target,
            seed=self.seed,
            run_id=f"{name.strip().lower().replace('-', '_')}-{self._count}",
        )
        self._runs.append(run)
        if self._cursor is not None and run.start_ms < self._cursor:
            self._replays.append(run)  # the next step publishes its past again (``_replay``)
        log.info("scenario %s planned: %s → %s", run.id, run.start_ms, run.end_ms)
        return run

    def add(self, run: ScenarioRun) -> None:
        """Add a run planned elsewhere (e.g. by the CLI)."""
        self._runs.append(run)

    def cancel(self, run_id: str) -> ScenarioRun:
        """End a run now (a planned one is dropped). Raises ``ResourceNotFound``."""
        now = self.clock.now_ms()
        for i, run in enumerate(self._runs):
            if run.id == run_id:
                ended = replace(run, end_ms=max(run.start_ms, min(run.end_ms, now)))
                self._runs[i] = ended
                return ended
        raise ResourceNotFound(f"no scenario run {run_id!r}")

    def runs(self) -> list[ScenarioRun]:
        """Planned, active and recently finished runs, oldest first."""
        cutoff = self.clock.now_ms() - KEEP_FINISHED_MS
        for run in [r for r in self._runs if r.end_ms < cutoff]:
            self._runs.remove(run)
            self.engine.forget(run.id)
        return list(self._runs)

    # --- time ----------------------------------------------------------------------------------

    def readings(self, t0: int, t1: int) -> list[Reading]:
        """The readings due in [t0, t1) with the current scenario runs (no publishing)."""
        return self.engine.readings(t0, t1, self.runs())

    async def step(self, publisher: Publisher) -> int:
        """Publish every report due since the last step; return how many readings were accepted."""
        now = self.clock.now_ms()
        runs = self.runs()
        accepted = 0
        if self._cursor is None:
            # Every sensor reports its latest round right away: the map is alive at once.
            self.stats.started_at = now
            first = await asyncio.to_thread(self.engine.latest, now, runs)
            for start in range(0, len(first), self.batch):
                accepted += await self._publish(publisher, first[start : start + self.batch])
            self._cursor = self.stats.simulated_to = now
        for run in self._replays:
            accepted += await self._replay(publisher, run, runs)
        self._replays.clear()
        t0 = self._cursor
        if now - t0 > self.max_lag_ms:
            self.stats.skipped_ms += now - self.max_lag_ms - t0
            log.warning(
                "simulator fell behind; skipping %d s", (now - self.max_lag_ms - t0) // 1000
            )
            t0 = now - self.max_lag_ms
        per = self.engine.readings_per_interval
        for a, b in windows(t0, now, per, self.engine.interval_ms, self.batch):
            readings = await asyncio.to_thread(self.engine.readings, a, b, runs)
            accepted += await self._publish(publisher, readings)
            self._cursor = self.stats.simulated_to = b
        self.stats.steps += 1
        return accepted

    async def _replay(self, publisher: Publisher, run: ScenarioRun, runs: list[ScenarioRun]) -> int:
        """A run started in the past (a demo starting mid-flood): its sensors' readings from its
        start to what was published are published again, with it — each replaces the sample at
        its time, and the rules see the episode as it would have unfolded."""
        touched = set(run.sensors)
        t1 = min(run.end_ms, self._cursor or run.start_ms)
        accepted = 0
        per = self.engine.readings_per_interval
        for a, b in windows(run.start_ms, t1, per, self.engine.interval_ms, self.batch):
            readings = await asyncio.to_thread(self.engine.readings, a, b, runs)
            mine = [r for r in readings if r["entity"] in touched]
            accepted += await self._publish(publisher, mine)
        log.info("scenario %s: %d readings since its start published again", run.id, accepted)
        return accepted

    async def _publish(self, publisher: Publisher, readings: list[Reading]) -> int:
        accepted = await publisher.publish(readings) if readings else 0
        self.stats.readings += accepted
        return accepted

    async def prepare(self, publisher: Publisher) -> int:
        """Make the synthetic clones exist as entities (once); return how many there are."""
        if not self._prepared:
            clones = clone_entities(self.fleet)
            await publisher.ensure_entities(clones)
            self._prepared = len(clones)
        return self._prepared or 0

    async def run(self, publisher: Publisher, stop: asyncio.Event) -> SimStats:
        """Tick in real time until ``stop`` is set. Publishing errors are logged and retried."""
        await self.prepare(publisher)
        while not stop.is_set():
            try:
                await self.step(publisher)
            except Exception as err:  # keep simulating: the receiver may come back
                self.stats.errors += 1
                self.stats.last_error = repr(err)
                log.warning("simulator step failed: %r", err)
            # not wait_for: on 3.11 it can swallow a cancellation (see subscriptions/notifier)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.slice_ms / 1000):
                    await stop.wait()
        return self.stats


def _ms(when: int | datetime) -> int:
    return to_ms(when) if isinstance(when, datetime) else int(when)

"""History, fast: the readings of a past period written through the bulk path in big batches.

Generating a batch and storing the previous one overlap (the store commits on its own thread or
connection while the next batch is built), so the rate is close to what the store can take.
Write history before starting the live simulator: the store handles late data correctly but
merging it into already compacted history is much slower than appending.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cityioc.sim.engine import Engine, windows
from cityioc.sim.publishers import Publisher
from cityioc.sim.scenarios import ScenarioRun

# (simulated ms done, simulated ms in all, readings accepted so far)
Progress = Callable[[int, int, int], None]


@dataclass(frozen=True, slots=True)
class BackfillReport:
    start_ms: int
    end_ms: int
    generated: int  # readings produced
    accepted: int  # readings the receiver confirmed as stored
    seconds: float

    @property
    def rate(self) -> float:
        """Accepted readings per second of wall time."""
        return self.accepted / self.seconds if self.seconds > 0 else 0.0


async def backfill(
    engine: Engine,
    publisher: Publisher,
    start_ms: int,
    end_ms: int,
    *,
    runs: Sequence[ScenarioRun] = (),
    batch: int = 50_000,
    progress: Progress | None = None,
) -> BackfillReport:
    """Write the readings of [start_ms, end_ms) in batches of about ``batch`` readings."""
    started = time.perf_counter()
    generated = accepted = 0
    pending: asyncio.Task[int] | None = None
    total = end_ms - start_ms
    per = engine.readings_per_interval
    for a, b in windows(start_ms, end_ms, per, engine.interval_ms, batch):
        readings = engine.readings(a, b, [r for r in runs if r.overlaps(a, b)])
        generated += len(readings)
        if pending is not None:
            accepted += await pending
        pending = asyncio.create_task(publisher.publish(readings))
        await asyncio.sleep(0)  # let it parse and hand the batch to the store before we go on
        if progress is not None:
            progress(b - start_ms, total, accepted)
    if pending is not None:
        accepted += await pending
    if progress is not None:
        progress(total, total, accepted)
    return BackfillReport(start_ms, end_ms, generated, accepted, time.perf_counter() - started)

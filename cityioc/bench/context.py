"""Sizes of a full and a quick run, and what every benchmark is handed: backends, tools, workdir."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cityioc.bench.databases import Backend
from cityioc.bench.profiling import Profile, Recording, find_py_spy
from cityioc.bench.wrk import find_wrk


@dataclass(frozen=True, slots=True)
class Sizes:
    warmup: float  # seconds of load before each throughput measurement
    duration: float  # seconds measured
    profile_seconds: float
    settle_seconds: float  # longest wait for the store to compact before sizes and queries
    load_budget_s: float  # longest time for loading the data set of one benchmark
    ingest_entities: int
    ingest_batch: int
    ingest_workers: int
    ingest_max_rate: float  # readings/s the workers prepare bodies for
    raw_rows: int  # rows of the raw-append reference (it also stops after `duration`)
    patch_entities: int
    patch_connections: int
    year_minutes: int
    backfill_batch: int
    aggregate_queries: int
    query_entities: int
    upsert_batch: int
    queries: int
    size_entities: int
    size_readings: int


FULL = Sizes(
    warmup=3.0,
    duration=10.0,
    profile_seconds=8.0,
    settle_seconds=60.0,
    load_budget_s=300.0,
    ingest_entities=1000,
    ingest_batch=5000,
    ingest_workers=4,
    ingest_max_rate=300_000,
    raw_rows=2_000_000,
    patch_entities=1000,
    patch_connections=16,
    year_minutes=525_600,
    backfill_batch=50_000,
    aggregate_queries=50,
    query_entities=100_000,
    upsert_batch=2000,
    queries=100,
    size_entities=334,
    size_readings=1_000_000,
)

QUICK = Sizes(
    warmup=0.5,
    duration=1.5,
    profile_seconds=1.0,
    settle_seconds=0.0,
    load_budget_s=60.0,
    ingest_entities=100,
    ingest_batch=500,
    ingest_workers=2,
    ingest_max_rate=50_000,
    raw_rows=20_000,
    patch_entities=40,
    patch_connections=4,
    year_minutes=2880,
    backfill_batch=1000,
    aggregate_queries=5,
    query_entities=2000,
    upsert_batch=500,
    queries=10,
    size_entities=10,
    size_readings=6000,
)


def after(start: Callable[[], None], work: Callable[[], object]) -> object:
    """A replay for ``Context.profile`` whose load needs no preparation: start, then work."""
    start()
    return work()


@dataclass(slots=True)
class Context:
    sizes: Sizes
    backends: list[Backend]
    workdir: Path
    quick: bool
    _tools: dict[str, tuple[str | None, str]] = field(default_factory=dict)

    def wrk(self) -> tuple[str | None, str]:
        """wrk, installed on first use in a full run (never by the quick smoke run)."""
        if "wrk" not in self._tools:
            self._tools["wrk"] = find_wrk(allow_install=not self.quick)
        return self._tools["wrk"]

    def tools_used(self) -> list[str]:
        return [name for name, (path, _) in self._tools.items() if path]

    def profile(
        self, missed: bool, pid: int, label: str, replay: Callable[[Callable[[], None]], object]
    ) -> Profile | None:
        """If a target was missed (full runs only): py-spy on ``pid`` while ``replay`` runs.

        ``replay`` gets a function to call once its load is prepared, right before it starts:
        that is when the recording begins, so preparation is not profiled.
        """
        if not missed or self.quick:
            return None
        if "py-spy" not in self._tools:
            self._tools["py-spy"] = find_py_spy(allow_install=True)
        tool, why = self._tools["py-spy"]
        if tool is None:
            return Profile(label, note=why)
        started: list[Recording] = []

        def start() -> None:
            started.append(Recording(tool, pid, self.sizes.profile_seconds, self.workdir, label))
            time.sleep(0.5)  # let py-spy attach before the load starts

        replay(start)
        return started[0].finish() if started else Profile(label, note="the replay never started")

"""Simulator backfill (``cityioc simulate --backfill``) against the raw append of the same rows.

The backfill runs in this process, as the CLI does with ``--database-url``: the simulator builds
the readings and ``Hub.ingest_readings`` stores them, batch after batch, generation overlapping
the store's commits. The reference appends the same (series, time, value) rows to an unindexed
table of the same database.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import numpy as np

from cityioc.bench.context import Context
from cityioc.bench.databases import Backend, RawAppend
from cityioc.bench.readings import RawBatch
from cityioc.bench.report import Row, Section
from cityioc.core.clock import SystemClock
from cityioc.hub.service import Hub
from cityioc.sim.backfill import BackfillReport, backfill
from cityioc.sim.engine import Engine, windows
from cityioc.sim.example import example_entities
from cityioc.sim.fleet import Fleet
from cityioc.sim.models import ATTRIBUTES
from cityioc.sim.publishers import InProcessPublisher
from cityioc.store.factory import make_store

NAME = "backfill"
TITLE = "Simulator backfill"
DAY_MS = 86_400_000
END_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z: a fixed range, the same rows every run


@dataclass(frozen=True, slots=True)
class Workload:
    sensors: int
    days: int
    interval_ms: int
    batch: int

    @property
    def start_ms(self) -> int:
        return END_MS - self.days * DAY_MS


FULL = Workload(sensors=300, days=30, interval_ms=15 * 60_000, batch=50_000)
QUICK = Workload(sensors=40, days=1, interval_ms=15 * 60_000, batch=2_000)


def run(ctx: Context) -> Section:
    w = QUICK if ctx.quick else FULL
    section = Section(
        NAME,
        TITLE,
        f"`cityioc simulate --backfill {w.days}d --interval {w.interval_ms // 60_000}m` in"
        f" process: {w.sensors} sensors of the illustrative example fleet (all eight simulated"
        " types, about half of them streetlights) write their history through"
        f" `Hub.ingest_readings` in batches of about {w.batch:,} readings, each batch committed"
        " before the backfill reports it stored, building the next batch while the store commits."
        " Reference: the same (series, time, value) rows appended raw to an unindexed"
        " `(sid, t, v, j)` table of the same database in batches of the same size, one commit"
        " per batch (SQLite: `executemany`, WAL and synchronous=FULL; PostgreSQL: binary `COPY`);"
        " text and boolean values are appended as numeric codes.",
    )
    for backend in ctx.backends:
        section.rows.append(_measure(ctx, w, backend, section))
    return section


def _measure(ctx: Context, w: Workload, backend: Backend, section: Section) -> Row:
    row = Row(backend.name, None, "readings/s")
    if backend.skip:
        row.note = backend.skip
        return row
    fleet = Fleet.from_entities(example_entities(w.sensors))
    engine = Engine(fleet, seed=1, interval_ms=w.interval_ms)
    with backend.fresh(ctx.workdir) as db:
        report = asyncio.run(_backfill(db.url, fleet, engine, w))
        raw = db.raw_append(_raw_batches(engine, w), ctx.sizes.duration * 3)
    row.figure = report.rate
    row.reference, row.reference_label = raw.rate, "raw append"
    if report.accepted != report.generated:
        row.note = f"{report.generated - report.accepted:,} readings were rejected"
    section.details.append(_detail(backend.name, report, raw, _generation_rate(engine, w)))
    return row


async def _backfill(url: str, fleet: Fleet, engine: Engine, w: Workload) -> BackfillReport:
    clock = SystemClock()
    store = make_store(url, clock)
    await store.open()
    try:
        publisher = InProcessPublisher(Hub(store, clock), "bench")
        return await backfill(engine, publisher, w.start_ms, END_MS, batch=w.batch)
    finally:
        await store.close()


def _raw_batches(engine: Engine, w: Workload) -> list[RawBatch]:
    """The backfill's rows as columns: series id = (fleet position, attribute) → number."""
    out = []
    per = engine.readings_per_interval
    for a, b in windows(w.start_ms, END_MS, per, engine.interval_ms, w.batch):
        sids, times, values = [], [], []
        for o in engine.observe(a, b):
            for k, attr in enumerate(ATTRIBUTES[o.group.type]):
                sids.append(o.group.ordinals[o.idx] * 8 + k + 1)
                times.append(o.t)
                values.append(o.values[attr.name].astype(np.float64))
        out.append(
            RawBatch(
                np.concatenate(sids).astype(np.int32),
                np.concatenate(times),
                np.concatenate(values),
            )
        )
    return out


def _generation_rate(engine: Engine, w: Workload) -> float:
    """Readings per second the simulator builds when nothing stores them (one day's worth)."""
    started, count = time.perf_counter(), 0
    end = w.start_ms + DAY_MS
    for a, b in windows(w.start_ms, end, engine.readings_per_interval, engine.interval_ms, w.batch):
        count += len(engine.readings(a, b))
    return count / (time.perf_counter() - started)


def _detail(backend: str, report: BackfillReport, raw: RawAppend, generation: float) -> str:
    return (
        f"{backend}: {report.accepted:,} readings in {report.seconds:.1f} s; the simulator alone"
        f" builds {generation:,.0f} readings/s; raw reference over {raw.rows:,} rows"
    )

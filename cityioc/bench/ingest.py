"""HTTP bulk ingest (``POST /api/v1/readings``) against the raw append rate of the same rows."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from cityioc.bench.context import Context
from cityioc.bench.databases import Backend
from cityioc.bench.loadgen import LoadResult, Request, run_load
from cityioc.bench.readings import RawBatch, SeriesPlan
from cityioc.bench.report import Row, Section, Target
from cityioc.bench.server import Server, metric

NAME = "ingest"
TITLE = "HTTP bulk ingest"
ATTRS = ("temperature", "relativeHumidity", "atmosphericPressure")
TARGET = Target(100_000, at_least=True)
RATIO = Target(0.25, at_least=True)


@dataclass(frozen=True, slots=True)
class IngestWorkload:
    """Each worker owns its own entities, so its series only ever move forward in time."""

    entities: int
    batch: int
    first_batch: int = 0  # a replay starts past everything sent before (nothing dedups)
    step_ms: int = 1000

    def plan(self, worker: int, workers: int) -> SeriesPlan:
        per = self.entities // workers
        return SeriesPlan("WeatherObserved", worker * per, per, ATTRS, self.step_ms, seed=worker)

    def requests(self, worker: int, workers: int, limit: int) -> list[Request]:
        plan = self.plan(worker, workers)
        return [
            Request("POST", "/api/v1/readings", plan.body(i * self.batch, self.batch), self.batch)
            for i in range(self.first_batch, self.first_batch + limit)
        ]

    def raw(self, workers: int, rows: int) -> list[RawBatch]:
        """The same rows the workers send, batch by batch, for the raw-append reference."""
        plans = [self.plan(w, workers) for w in range(workers)]
        count = max(1, rows // self.batch)
        return [
            plans[i % workers].raw((i // workers) * self.batch, self.batch) for i in range(count)
        ]


def run(ctx: Context) -> Section:
    s = ctx.sizes
    section = Section(
        NAME,
        TITLE,
        f"{s.ingest_workers} load-generator processes, one keep-alive connection each, post JSON"
        f" arrays of {s.ingest_batch:,} readings ({s.ingest_entities:,} entities × {len(ATTRS)}"
        f" attributes, every series moving forward in time, so nothing dedups) for {s.duration:g} s"
        f" after {s.warmup:g} s of warm-up; bodies are serialised before the clock starts."
        " Reference: the same rows appended raw to an unindexed `(sid, t, v, j)` table of the"
        " same database, one commit per batch (SQLite: `executemany` into a fresh file with the"
        " store's pragmas, WAL and synchronous=FULL; PostgreSQL: binary `COPY`).",
    )
    for backend in ctx.backends:
        section.rows.append(_measure(ctx, backend, section))
    return section


def _measure(ctx: Context, backend: Backend, section: Section) -> Row:
    s = ctx.sizes
    row = Row(backend.name, None, "readings/s", TARGET, ratio_target=RATIO)
    if backend.skip:
        row.note = backend.skip
        return row
    workload = IngestWorkload(s.ingest_entities, s.ingest_batch)
    workers = s.ingest_workers
    limit = math.ceil(s.ingest_max_rate * (s.warmup + s.duration) / workers / s.ingest_batch)
    with backend.fresh(ctx.workdir) as db:
        raw = db.raw_append(workload.raw(workers, s.raw_rows), s.duration)
        row.reference, row.reference_label = raw.rate, "raw append"
        with Server(db.url, ctx.workdir, f"{NAME}-{backend.kind}") as server:
            load = run_load(
                workload,
                server.port,
                workers=workers,
                warmup=s.warmup,
                duration=s.duration,
                limit=limit,
            )
            row.figure = load.rate
            with server.client() as http:
                stored = int(metric(http, "cityioc_samples_written_total") or 0)
            replay = IngestWorkload(s.ingest_entities, s.ingest_batch, first_batch=limit)
            replay_limit = math.ceil(
                s.ingest_max_rate * s.profile_seconds / workers / s.ingest_batch
            )
            profile = ctx.profile(
                row.missed(),
                server.pid,
                f"{backend.name}, {TITLE}",
                lambda start: run_load(
                    replay,
                    server.port,
                    workers=workers,
                    warmup=0.0,
                    duration=s.profile_seconds,
                    limit=replay_limit,
                    on_ready=start,
                ),
            )
    if profile is not None:
        section.profiles.append(profile)
    section.details.append(_detail(backend.name, load, stored, raw.rows))
    if load.errors or load.exhausted:
        row.note = _caveat(load)
    return row


def _detail(backend: str, load: LoadResult, stored: int, raw_rows: int) -> str:
    lat = np.array(load.latencies or [0.0]) * 1000
    return (
        f"{backend}: {load.requests:,} requests ({load.requests / load.seconds:,.1f}/s), request"
        f" latency p50 {np.percentile(lat, 50):,.0f} ms, p95 {np.percentile(lat, 95):,.0f} ms;"
        f" {stored:,} samples written in all (warm-up included); raw reference over"
        f" {raw_rows:,} rows"
    )


def _caveat(load: LoadResult) -> str:
    parts = []
    if load.errors:
        parts.append(f"{load.errors} requests failed (first: {load.first_error})")
    if load.exhausted:
        parts.append("the load generator ran out of prepared bodies: the figure is a lower bound")
    return "; ".join(parts)

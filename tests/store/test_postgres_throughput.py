"""Throughput of the PostgreSQL sample path, printed, never asserted (timings vary by machine).

Batches of 10,000 readings over 1,000 series (250 entities x 4 attributes), compared with a raw
binary COPY of the same rows into an unindexed table in the same database and run::

    .venv/bin/python -m tests.store.test_postgres_throughput --batches 100 --writers 1
    .venv/bin/pytest tests/store/test_postgres_throughput.py -s   # a short run
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import psycopg
import pytest

from cityioc.core.clock import FakeClock
from cityioc.hub.models import Mutation, Sample, StoredEntity
from cityioc.hub.readings import Reading, ReadingsResult, decide_readings
from cityioc.store.port import Decide
from cityioc.store.postgres import staging
from cityioc.store.postgres.store import PostgresStore
from tests.services import create_postgres_database, drop_postgres_database

ENTITIES, ATTRS, PER_SERIES = 250, 4, 10  # 10,000 readings a batch over 1,000 series
START = 1_764_000_000_000
STEP = 1_000
TYPE = "https://uri.etsi.org/ngsi-ld/default-context/Station"


def batch(n: int, rng: np.random.Generator) -> list[Reading]:
    """Batch ``n``: each series' next PER_SERIES readings, in arrival (time-major) order."""
    values = np.round(rng.normal(40, 10, ENTITIES * ATTRS * PER_SERIES), 1).tolist()
    out = []
    for k in range(PER_SERIES):
        t = START + (n * PER_SERIES + k) * STEP
        for e in range(ENTITIES):
            for a in range(ATTRS):
                out.append(
                    Reading(
                        f"urn:ngsi-ld:Station:{e}",
                        f"urn:attr:{a}",
                        values.pop(),
                        t,
                        entity_type=TYPE,
                    )
                )
    return out


def samples_only(readings: list[Reading]) -> Decide:
    samples = [Sample(r.entity_id, r.attr, r.t, r.value) for r in readings]

    def decide(current: Mapping[str, StoredEntity]) -> Mutation:
        return Mutation(samples=samples)

    return decide


@dataclass
class Phase:
    """Seconds spent: on the wall clock, on our CPU (``decide`` apart) and on the server's CPU."""

    readings: int = 0
    wall: float = 0.0
    client: float = 0.0
    decide: float = 0.0
    server: float = 0.0

    @property
    def rate(self) -> float:
        return self.readings / self.wall

    def line(self, name: str, reference: Phase | None) -> str:
        per = 1000 * 10_000 / self.readings  # ms per batch of 10,000
        ratio = f" ({self.rate / reference.rate:.2f} of COPY)" if reference else ""
        return (
            f"  {name:<15} {self.rate:>9,.0f} readings/s{ratio:<16} per batch: wall"
            f" {self.wall * per:6.1f} ms, our CPU {(self.client - self.decide) * per:5.1f}"
            f" + decide {self.decide * per:5.1f}, server CPU {self.server * per:5.1f}"
        )


def _server_cpu(dbname: str) -> float:
    """CPU seconds used so far by the server processes of one database (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if dbname.encode() not in (proc / "cmdline").read_bytes():
                continue
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


@contextmanager
def _timing(phase: Phase, dbname: str) -> Iterator[None]:
    wall, cpu, server = time.perf_counter(), time.process_time(), _server_cpu(dbname)
    yield
    phase.wall += time.perf_counter() - wall
    phase.client += time.process_time() - cpu
    phase.server += _server_cpu(dbname) - server


async def _through_mutate(
    store: PostgresStore, batches: list[list[Reading]], writers: int, full: bool
) -> Phase:
    """``mutate`` with samples only, or (``full``) the readings path: entities updated too."""
    phase = Phase(readings=sum(map(len, batches)))

    def timed(decide: Decide) -> Decide:
        def run(current: Mapping[str, StoredEntity]) -> Mutation:
            began = time.process_time()
            try:
                return decide(current)
            finally:
                phase.decide += time.process_time() - began

        return run

    jobs: list[tuple[list[str], Decide]] = []  # built before the clock starts
    for readings in batches:
        if full:
            indexed = list(enumerate(readings))
            decide = decide_readings(indexed, ReadingsResult(), START, "b", auto_create=True)
            jobs.append((sorted({r.entity_id for r in readings}), decide))
        else:
            jobs.append(([], samples_only(readings)))

    async def writer() -> None:
        while jobs:
            ids, decide = jobs.pop(0)
            await store.mutate("default", ids, timed(decide), "bench")

    with _timing(phase, store.url.rsplit("/", 1)[1]):
        await asyncio.gather(*(writer() for _ in range(writers)))
    return phase


async def _copy_reference(url: str, batches: list[list[Reading]]) -> Phase:
    """The same rows by binary COPY into an unindexed table, a transaction per batch."""
    sid = {
        (f"urn:ngsi-ld:Station:{e}", f"urn:attr:{a}"): e * ATTRS + a
        for e in range(ENTITIES)
        for a in range(ATTRS)
    }
    phase = Phase(readings=sum(map(len, batches)))
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(
            "CREATE TABLE copy_reference (sid INTEGER, t BIGINT, v DOUBLE PRECISION, j JSONB)"
        )
        with _timing(phase, url.rsplit("/", 1)[1]):
            for readings in batches:
                staged = staging.stage(
                    [sid[(r.entity_id, r.attr)] for r in readings],
                    [r.t for r in readings],
                    [r.value for r in readings],
                )
                async with (
                    conn.transaction(),
                    conn.cursor().copy("COPY copy_reference FROM STDIN (FORMAT BINARY)") as copy,
                ):
                    await copy.write(staged.samples)
    return phase


async def measure(n_batches: int, writers: int) -> dict[str, Phase]:
    rng = np.random.default_rng(1)
    url = create_postgres_database("cityioc_bench")
    store = PostgresStore(url, clock=FakeClock(), max_size=max(2, writers))
    try:
        await store.open()
        # Warm up: creates the entities and series, fills the series-id cache.
        await _through_mutate(store, [batch(0, rng)], 1, True)
        sample_batches = [batch(n, rng) for n in range(1, n_batches + 1)]
        full_batches = [batch(n, rng) for n in range(n_batches + 1, 2 * n_batches + 1)]
        return {
            "raw COPY": await _copy_reference(url, sample_batches),
            "mutate samples": await _through_mutate(store, sample_batches, writers, False),
            "mutate readings": await _through_mutate(store, full_batches, writers, True),
        }
    finally:
        await store.close()
        drop_postgres_database(url)


def report(phases: dict[str, Phase], n_batches: int, writers: int) -> str:
    reference = phases["raw COPY"]
    lines = [f"{n_batches} batches x 10,000 readings over 1,000 series, {writers} writer(s):"]
    for name, phase in phases.items():
        lines.append(phase.line(name, None if phase is reference else reference))
    return "\n".join(lines)


@pytest.mark.postgres
@pytest.mark.slow
async def test_throughput_is_printed(postgres_url: str) -> None:  # the fixture: server or skip
    phases = await measure(5, 1)  # a smoke run; use the command line for a real measurement
    print("\n" + report(phases, 5, 1))
    assert all(phase.rate > 0 for phase in phases.values())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--writers", type=int, default=1)
    args = parser.parse_args()
    print(report(asyncio.run(measure(args.batches, args.writers)), args.batches, args.writers))

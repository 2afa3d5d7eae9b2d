"""Throughput of the PostgreSQL sample path, printed, never asserted (timings vary by machine).

Batches of 10,000 readings over 1,000 series (250 entities x 4 attributes), compared with a raw
binary COPY of the same rows into an unindexed table in the same database and run::

    .venv/bin/python -m tests.store.test_postgres_throughput --batches 100 --writers 1
    .venv/bin/pytest tests/store/test_postgres_throughput.py -s   # a short run
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Mapping

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


async def _rate(
    store: PostgresStore, batches: list[list[Reading]], writers: int, full: bool
) -> float:
    """Readings per second through ``mutate``; ``full``: the readings path, entities updated too."""
    queue = list(batches)

    async def writer() -> None:
        while queue:
            readings = queue.pop(0)
            decide: Decide
            if full:
                ids = sorted({r.entity_id for r in readings})
                decide = decide_readings(
                    [(i, r) for i, r in enumerate(readings)],
                    ReadingsResult(),
                    START,
                    "bench",
                    auto_create=True,
                )
            else:
                ids, decide = [], samples_only(readings)
            await store.mutate("default", ids, decide, "bench")

    began = time.perf_counter()
    await asyncio.gather(*(writer() for _ in range(writers)))
    return sum(map(len, batches)) / (time.perf_counter() - began)


async def _copy_rate(url: str, batches: list[list[Reading]]) -> float:
    """The reference: the same rows, binary COPY into an unindexed table, a commit per batch."""
    sid = {
        (f"urn:ngsi-ld:Station:{e}", f"urn:attr:{a}"): e * ATTRS + a
        for e in range(ENTITIES)
        for a in range(ATTRS)
    }
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute(
            "CREATE TABLE copy_reference (sid INTEGER, t BIGINT, v DOUBLE PRECISION, j JSONB)"
        )
        began = time.perf_counter()
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
        return sum(map(len, batches)) / (time.perf_counter() - began)


async def measure(n_batches: int, writers: int) -> dict[str, float]:
    rng = np.random.default_rng(1)
    url = create_postgres_database("cityioc_bench")
    store = PostgresStore(url, clock=FakeClock(), max_size=max(2, writers))
    try:
        await store.open()
        # Warm up: creates the entities and series, fills the series-id cache.
        await _rate(store, [batch(0, rng)], 1, True)
        sample_batches = [batch(n, rng) for n in range(1, n_batches + 1)]
        full_batches = [batch(n, rng) for n in range(n_batches + 1, 2 * n_batches + 1)]
        copy_rate = await _copy_rate(url, sample_batches)
        samples_rate = await _rate(store, sample_batches, writers, False)
        full_rate = await _rate(store, full_batches, writers, True)
        return {"copy": copy_rate, "mutate_samples": samples_rate, "mutate_readings": full_rate}
    finally:
        await store.close()
        drop_postgres_database(url)


def report(rates: dict[str, float], n_batches: int, writers: int) -> str:
    copy = rates["copy"]
    lines = [f"{n_batches} batches x 10,000 readings over 1,000 series, {writers} writer(s):"]
    lines.append(f"  raw binary COPY, unindexed table : {copy:>10,.0f} rows/s")
    for name in ("mutate_samples", "mutate_readings"):
        lines.append(
            f"  {name:<33}: {rates[name]:>10,.0f} readings/s  ({rates[name] / copy:.2f} of COPY)"
        )
    return "\n".join(lines)


@pytest.mark.postgres
@pytest.mark.slow
async def test_throughput_is_printed(postgres_url: str) -> None:  # the fixture: server or skip
    rates = await measure(10, 1)
    print("\n" + report(rates, 10, 1))
    assert all(rate > 0 for rate in rates.values())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=50)
    parser.add_argument("--writers", type=int, default=1)
    args = parser.parse_args()
    print(report(asyncio.run(measure(args.batches, args.writers)), args.batches, args.writers))

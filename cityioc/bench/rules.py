"""Rule evaluation throughput: readings through the hub with the rule engine evaluating the Bình
Dương rules, beside the bare ingest of the same readings without the engine.

Both runs write the same minute-by-minute readings of the illustrative example fleet through
``Hub.ingest_readings`` (one commit per simulated minute, as a live deployment sees them). With the
engine, every commit's changed entities are handed to it over the in-process bus; the clock stops
when the last batch is committed *and* the engine has evaluated everything and written its alerts.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from cityioc.alerts.engine import Engine
from cityioc.alerts.rule_store import RuleStore
from cityioc.alerts.service import Alerts
from cityioc.bench.context import Context
from cityioc.bench.databases import Backend
from cityioc.bench.report import Row, Section
from cityioc.bus.events import ChangeEvent
from cityioc.core.clock import FakeClock
from cityioc.hub.service import Hub
from cityioc.sim.engine import Engine as SimEngine
from cityioc.sim.example import example_entities
from cityioc.sim.fleet import Fleet
from cityioc.sim.publishers import InProcessPublisher
from cityioc.store.factory import make_store

NAME = "rules"
TITLE = "Rule evaluation"
MINUTE = 60_000
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z: the same readings every run
RULES = Path(__file__).parents[1] / "packs" / "binh_duong" / "rules.yaml"


@dataclass(frozen=True, slots=True)
class Workload:
    sensors: int
    minutes: int


FULL = Workload(sensors=2000, minutes=30)
QUICK = Workload(sensors=80, minutes=5)


@dataclass(slots=True)
class Measured:
    readings: int
    seconds: float
    evaluated: int = 0
    alerts: int = 0

    @property
    def rate(self) -> float:
        return self.readings / self.seconds if self.seconds > 0 else 0.0


def run(ctx: Context) -> Section:
    w = QUICK if ctx.quick else FULL
    section = Section(
        NAME,
        TITLE,
        f"{w.sensors} sensors of the illustrative example fleet report every minute for"
        f" {w.minutes} simulated minutes; each minute's readings are one `Hub.ingest_readings`"
        " commit. Figure: readings/s with the rule engine evaluating the five Bình Dương rules"
        " (flood, AQI, silent weather station, dark street segment, traffic jam) on every"
        " committed change — timed until the engine has caught up and written its alerts."
        " Reference: the same readings ingested without the engine.",
    )
    for backend in ctx.backends:
        section.rows.append(_measure(ctx, w, backend, section))
    return section


def _measure(ctx: Context, w: Workload, backend: Backend, section: Section) -> Row:
    row = Row(backend.name, None, "readings/s", reference_label="ingest without the engine")
    if backend.skip:
        row.note = backend.skip
        return row
    with backend.fresh(ctx.workdir) as bare_db:
        bare = asyncio.run(_ingest(bare_db.url, w, engine=False))
    with backend.fresh(ctx.workdir) as rules_db:
        ruled = asyncio.run(_ingest(rules_db.url, w, engine=True))
    row.figure, row.reference = ruled.rate, bare.rate
    section.details.append(
        f"{backend.name}: {ruled.readings:,} readings; the engine evaluated {ruled.evaluated:,}"
        f" entity changes and raised {ruled.alerts} alerts"
    )
    return row


async def _ingest(url: str, w: Workload, *, engine: bool) -> Measured:
    clock = FakeClock(START_MS)  # moved a minute per batch: the readings are "live"
    store = make_store(url, clock)
    await store.open()
    try:
        hub = Hub(store, clock)
        entities = example_entities(w.sensors)
        fleet = Fleet.from_entities(entities)
        publisher = InProcessPublisher(hub, "bench")
        await publisher.ensure_entities([_normalized(e) for e in entities])
        sim = SimEngine(fleet, seed=1, interval_ms=MINUTE)
        batches = [
            sim.readings(START_MS + i * MINUTE, START_MS + (i + 1) * MINUTE)
            for i in range(w.minutes)
        ]
        rules: Engine | None = None
        if engine:
            alerts = Alerts(hub, clock)
            store_rules = RuleStore(hub, clock)
            for document in yaml.safe_load(RULES.read_text(encoding="utf-8")):
                await store_rules.create("bench", document, "bench")
            rules = Engine(alerts, store_rules, clock)
            hub.on_change(lambda t, a, m: rules.handle(ChangeEvent.of(t, a, m)) if rules else None)
            await rules.start()
        started = time.perf_counter()
        count = 0
        for batch in batches:
            clock.advance(minutes=1)
            count += await publisher.publish(batch)
        if rules is not None:
            await rules.idle()
        seconds = time.perf_counter() - started
        measured = Measured(count, seconds)
        if rules is not None:
            measured.evaluated = rules.evaluated
            measured.alerts = len(rules.memory.of("bench").alerts)
            await rules.stop()
        return measured
    finally:
        await store.close()


def _normalized(entity: dict[str, object]) -> dict[str, object]:
    out: dict[str, object] = {"id": entity["id"], "type": entity["type"]}
    for name, value in entity.items():
        if name not in ("id", "type"):
            kind = "GeoProperty" if name == "location" else "Property"
            out[name] = {"type": kind, "value": value}
    return out

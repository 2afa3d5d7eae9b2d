"""Rule evaluation throughput: readings through the hub with the rule engine evaluating the Bình
Dương rules, beside the bare ingest of the same readings without the engine; and the engine alone
evaluating the same readings through 1,000 generated rules (rule_mix.py).

Both runs write the same minute-by-minute readings of the illustrative example fleet through
``Hub.ingest_readings`` (one commit per simulated minute, as a live deployment sees them). With the
engine, every commit's changed entities are handed to it over the in-process bus; the clock stops
when the last batch is committed *and* the engine has evaluated everything and written its alerts.
The 1,000-rule figure replays the committed changes of the bare run into an engine of its own, one
commit at a time, and times only the evaluation (with the alerts it writes).
"""

from __future__ import annotations

import asyncio
import copy
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cityioc.alerts.engine import Engine
from cityioc.alerts.rule_store import RuleStore
from cityioc.alerts.service import Alerts
from cityioc.bench.context import Context
from cityioc.bench.databases import Backend
from cityioc.bench.report import Row, Section, Target
from cityioc.bench.rule_mix import KINDS, generated_rules, spans
from cityioc.bus.events import ChangeEvent
from cityioc.core.clock import FakeClock
from cityioc.core.gc_policy import server_gc
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
MANY_RULES = 1000
MANY_TARGET = Target(100_000, at_least=True)  # readings/s through 1,000 active rules


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
    changes: list[ChangeEvent] = field(default_factory=list)  # what the bare run committed

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
        " Reference: the same readings ingested without the engine."
        f" **{MANY_RULES:,} rules**: generated over the fleet's types and attributes"
        f" ({_mix_text()}; a third also scoped to an area), thresholds placed from the"
        " fleet's own readings so that most stay quiet; the bare run's committed changes are"
        " replayed into an engine holding them, one commit at a time, and only the evaluation"
        " (with the alerts it writes) is timed. Reference: the bare ingest of the same run."
        " All runs use the garbage collector's settings of `cityioc serve`"
        " (`core/gc_policy.py`).",
    )
    for backend in ctx.backends:
        section.rows += _measure(ctx, w, backend, section)
    return section


def _mix_text() -> str:
    return ", ".join(f"{share * 100:.0f} % {kind}" for share, kind in KINDS)


def _measure(ctx: Context, w: Workload, backend: Backend, section: Section) -> list[Row]:
    row = Row(
        backend.name,
        None,
        "readings/s",
        reference_label="ingest without the engine",
        what="5 pack rules, ingest + engine",
    )
    many = Row(
        backend.name,
        None,
        "readings/s",
        MANY_TARGET,
        reference_label="bare ingest",
        ratio_percent=False,
        what=f"{MANY_RULES:,} rules, engine alone",
    )
    if backend.skip:
        row.note = many.note = backend.skip
        return [row, many]
    with backend.fresh(ctx.workdir) as bare_db:
        bare = asyncio.run(_ingest(bare_db.url, w, engine=False))
        evaluated = asyncio.run(_evaluate(bare_db.url, w, bare))
    with backend.fresh(ctx.workdir) as rules_db:
        ruled = asyncio.run(_ingest(rules_db.url, w, engine=True))
    row.figure, row.reference = ruled.rate, bare.rate
    many.figure, many.reference = evaluated.rate, bare.rate
    section.details.append(
        f"{backend.name}: {ruled.readings:,} readings; the engine evaluated {ruled.evaluated:,}"
        f" entity changes and raised {ruled.alerts} alerts"
    )
    section.details.append(
        f"{backend.name}, {MANY_RULES:,} rules: {evaluated.readings:,} readings in"
        f" {evaluated.evaluated:,} entity changes evaluated in {evaluated.seconds:.2f} s"
        f" ({evaluated.evaluated / evaluated.seconds:,.0f} entity changes/s);"
        f" {evaluated.alerts} alerts raised"
    )
    return [row, many]


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
        measured = Measured(0, 0.0)
        if not engine:
            hub.on_change(lambda t, a, m: measured.changes.append(ChangeEvent.of(t, a, m)))
        if engine:
            alerts = Alerts(hub, clock)
            store_rules = RuleStore(hub, clock)
            for document in yaml.safe_load(RULES.read_text(encoding="utf-8")):
                await store_rules.create("bench", document, "bench")
            rules = Engine(alerts, store_rules, clock)
            hub.on_change(lambda t, a, m: rules.handle(ChangeEvent.of(t, a, m)) if rules else None)
            await rules.start()
        with server_gc():  # as `cityioc serve` runs once started
            batches = copy.deepcopy(batches)  # new objects, as a server receives them
            started = time.perf_counter()
            count = 0
            for batch in batches:
                clock.advance(minutes=1)
                count += await publisher.publish(batch)
            if rules is not None:
                await rules.idle()
            measured.seconds = time.perf_counter() - started
        measured.readings = count
        if rules is not None:
            measured.evaluated = rules.evaluated
            measured.alerts = len(rules.memory.of("bench").alerts)
            await rules.stop()
        return measured
    finally:
        await store.close()


async def _evaluate(url: str, w: Workload, bare: Measured) -> Measured:
    """The bare run's committed changes through an engine holding the generated rules."""
    clock = FakeClock(START_MS)
    store = make_store(url, clock)
    await store.open()
    try:
        hub = Hub(store, clock)
        fleet = Fleet.from_entities(example_entities(w.sensors))
        sample = SimEngine(fleet, seed=2, interval_ms=MINUTE).readings(START_MS, START_MS + MINUTE)
        store_rules = RuleStore(hub, clock)
        for document in generated_rules(MANY_RULES, spans(sample)):
            await store_rules.create("bench", document, "bench")
        engine = Engine(Alerts(hub, clock), store_rules, clock)
        await engine.memory.remember_tenant("bench", clock.now_ms())  # loaded before the clock
        await engine.start(background=False)
        clock.advance(minutes=w.minutes)
        with server_gc():  # as `cityioc serve` runs once started
            # Copies made after the freeze: in a server the changes are new objects, which the
            # collector tracks (the originals, older, would be frozen with the rest).
            changes = copy.deepcopy(bare.changes)
            started = time.perf_counter()
            for event in changes:
                engine.handle(event)
                await engine.process()
            await engine.idle()  # the alerts it raised are written
            seconds = time.perf_counter() - started
        measured = Measured(bare.readings, seconds, engine.evaluated)
        measured.alerts = len(engine.memory.of("bench").alerts)
        await engine.stop()
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

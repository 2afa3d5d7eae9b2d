"""``cityioc simulate``: live sensors over HTTP, MQTT or in-process, or a backfill of history.

Where the fleet comes from: ``--fleet FILE``, else the database (``--database-url``), else the
server (``--url``). Where live readings go: ``--mqtt-url``, else ``--url``, else the database.
A backfill goes into the database when one is given (the fastest path), else over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cityioc.core.errors import CityError

if TYPE_CHECKING:
    from cityioc.hub.service import Hub
    from cityioc.sim.fleet import Fleet
    from cityioc.sim.publishers import HttpPublisher, Publisher
    from cityioc.sim.scenarios import ScenarioRun
    from cityioc.sim.simulator import Simulator
    from cityioc.sim.specs import ScenarioSpec


@dataclass(frozen=True, slots=True)
class Options:
    url: str | None
    key: str | None
    database_url: str | None
    mqtt_url: str | None
    tenant: str
    fleet_file: Path | None
    sensors: int | None
    rate: str | None
    interval: str | None
    seed: int
    scenarios: list[str]
    backfill: str | None
    duration: str | None
    batch: int | None


def simulate(
    url: Annotated[str | None, typer.Option(help="server to read sensors from / post to")] = None,
    key: Annotated[
        str | None, typer.Option(help="API key for --url", envvar="CITYIOC_API_KEY")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url", envvar="CITYIOC_DATABASE_URL", help="write in-process to this DB"
        ),
    ] = None,
    mqtt_url: Annotated[
        str | None, typer.Option(help="publish live readings to this broker (mqtt://host:1883)")
    ] = None,
    tenant: Annotated[str, typer.Option(help="NGSI-LD tenant")] = "default",
    fleet: Annotated[
        Path | None, typer.Option("--fleet", help="entities as JSON or NDJSON instead of the hub")
    ] = None,
    sensors: Annotated[
        int | None, typer.Option(min=1, max=1_000_000, help="scale the fleet to N sensors")
    ] = None,
    rate: Annotated[
        str | None, typer.Option(help="readings/s for the whole fleet, or an interval (30s)")
    ] = None,
    interval: Annotated[
        str | None, typer.Option(help="per-sensor reporting interval (default 60s; 15m backfill)")
    ] = None,
    seed: Annotated[int, typer.Option(help="same seed, same readings")] = 1,
    scenario: Annotated[
        list[str] | None,
        typer.Option(help="NAME, NAME@HH:MM (local) or NAME@YYYY-MM-DDTHH:MM; repeatable"),
    ] = None,
    backfill: Annotated[
        str | None, typer.Option(help="write this much history up to now (e.g. 365d) and exit")
    ] = None,
    duration: Annotated[str | None, typer.Option(help="stop the live run after this long")] = None,
    batch: Annotated[int | None, typer.Option(min=1, help="readings per request/commit")] = None,
) -> None:
    """Bring the sensors alive: daily cycles, noise, gaps and named scenarios; or backfill."""
    options = Options(
        url, key, database_url, mqtt_url, tenant, fleet, sensors, rate, interval, seed,
        scenario or [], backfill, duration, batch,
    )  # fmt: skip
    try:
        asyncio.run(_main(options))
    except CityError as err:
        typer.echo(f"lỗi / error: {err.detail}", err=True)
        raise typer.Exit(2) from err
    except (RuntimeError, ValueError, OSError) as err:
        typer.echo(f"lỗi / error: {err}", err=True)
        raise typer.Exit(1) from err


@contextlib.asynccontextmanager
async def _hub(database_url: str | None) -> AsyncIterator[Hub | None]:
    if not database_url:
        yield None
        return
    from cityioc.core.clock import SystemClock
    from cityioc.hub.service import Hub
    from cityioc.store.factory import make_store

    store = make_store(database_url, SystemClock())
    await store.open()
    try:
        yield Hub(store, SystemClock())
    finally:
        await store.close()


async def _main(o: Options) -> None:
    from cityioc.sim.fleet import SIM_TYPES, Fleet
    from cityioc.sim.publishers import HttpPublisher, InProcessPublisher
    from cityioc.sim.sources import entities_from_file, entities_from_store
    from cityioc.sim.specs import parse_scenario

    specs = [parse_scenario(s) for s in o.scenarios]
    if not (o.url or o.database_url or o.mqtt_url):
        raise ValueError("give --url, --database-url or --mqtt-url")
    async with _hub(o.database_url) as hub:
        http = HttpPublisher(o.url, o.key, o.tenant, batch=o.batch or 10_000) if o.url else None
        try:
            if o.fleet_file:
                entities = entities_from_file(o.fleet_file)
            elif hub is not None:
                entities = await entities_from_store(hub.store, o.tenant)
            elif http is not None:
                entities = await http.fetch_entities(SIM_TYPES)
            else:
                raise ValueError("with only --mqtt-url, give the sensors with --fleet FILE")
            fleet = Fleet.from_entities(entities)
            if not len(fleet):
                raise ValueError(
                    "không có cảm biến nào để mô phỏng — hãy nạp gói dữ liệu thành phố trước"
                    " / no sensors to simulate: load a city pack first"
                )
            if o.sensors:
                fleet = fleet.scaled(o.sensors, o.seed)
            if o.backfill:
                target: Publisher | None = (
                    InProcessPublisher(hub, o.tenant) if hub is not None else http
                )
                if target is None:
                    raise ValueError("a backfill needs --database-url or --url")
                await _backfill(o, fleet, specs, target)
            else:
                await _live(o, fleet, specs, hub, http)
        finally:
            if http is not None:
                await http.aclose()


def _interval(o: Options, fleet: Fleet, default: str) -> int:
    from cityioc.sim.engine import Engine
    from cityioc.sim.specs import interval_for_rate, parse_duration

    if o.interval:
        return parse_duration(o.interval)
    if o.rate:
        per_round = Engine(fleet, interval_ms=60_000).readings_per_interval
        return interval_for_rate(o.rate, per_round)
    return parse_duration(default)


def _plan(
    fleet: Fleet, specs: list[ScenarioSpec], seed: int, now: int, end: int | None
) -> list[ScenarioRun]:
    from cityioc.sim.scenarios import plan

    runs = []
    for i, spec in enumerate(specs):
        start = spec.start(now, spec.default_duration_ms, backfill_end=end)
        runs.append(plan(spec.name, fleet, start, seed=seed, run_id=f"{spec.name}-{i + 1}"))
    return runs


def _describe(fleet: Fleet, interval_ms: int, per_round: int, span_ms: int | None = None) -> str:
    kinds = ", ".join(f"{len(g)} {k}" for k, g in fleet.groups.items())
    synthetic = sum(1 for s in fleet.sensors if s.synthetic)
    extra = f", {synthetic} synthetic" if synthetic else ""
    every = f"{per_round:,} readings every {interval_ms / 1000:g} s"
    if span_ms is None:
        load = f"≈ {per_round / (interval_ms / 1000):,.0f} readings/s"
    else:
        load = f"≈ {per_round * span_ms // interval_ms:,} readings of history"
    return f"mô phỏng / simulating {len(fleet)} sensors ({kinds}{extra}); {every}, {load}"


def _announce(run: ScenarioRun) -> None:
    from cityioc.sim.specs import local_text

    typer.echo(
        f"  kịch bản / scenario {run.id}: {local_text(run.start_ms)} → {local_text(run.end_ms)}"
        " (giờ Việt Nam / local time)",
        err=True,
    )


async def _backfill(o: Options, fleet: Fleet, specs: list[ScenarioSpec], target: Publisher) -> None:
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from cityioc.core.clock import SystemClock
    from cityioc.sim.backfill import backfill
    from cityioc.sim.engine import Engine
    from cityioc.sim.fleet import clone_entities
    from cityioc.sim.specs import parse_duration

    span = parse_duration(o.backfill or "")
    engine = Engine(fleet, seed=o.seed, interval_ms=_interval(o, fleet, "15m"))
    end = SystemClock().now_ms()
    start = end - span
    runs = _plan(fleet, specs, o.seed, end, end)
    per_round = engine.readings_per_interval
    typer.echo(_describe(fleet, engine.interval_ms, per_round, span), err=True)
    for run in runs:
        _announce(run)
    await target.ensure_entities(clone_entities(fleet))
    with Progress(
        TextColumn("lịch sử / history"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%  {task.fields[stored]:>12,} readings"),
        TimeRemainingColumn(),
        transient=not sys.stderr.isatty(),
        console=None,
    ) as bar:
        task = bar.add_task("backfill", total=span, stored=0)
        report = await backfill(
            engine,
            target,
            start,
            end,
            runs=runs,
            batch=o.batch or 50_000,
            progress=lambda done, total, stored: bar.update(task, completed=done, stored=stored),
        )
    typer.echo(
        f"Đã ghi {report.accepted:,} bản ghi trong {report.seconds:.1f} s"
        f" ({report.rate:,.0f} bản ghi/s) / stored {report.accepted:,} readings in"
        f" {report.seconds:.1f} s ({report.rate:,.0f} readings/s)"
    )
    if report.accepted != report.generated:
        typer.echo(f"  {report.generated - report.accepted:,} readings were rejected", err=True)


async def _live(
    o: Options,
    fleet: Fleet,
    specs: list[ScenarioSpec],
    hub: Hub | None,
    http: HttpPublisher | None,
) -> None:
    from cityioc.sim.fleet import clone_entities
    from cityioc.sim.mqtt import MqttPublisher
    from cityioc.sim.publishers import InProcessPublisher
    from cityioc.sim.simulator import Simulator
    from cityioc.sim.specs import parse_duration

    sim = Simulator(
        fleet, seed=o.seed, interval_ms=_interval(o, fleet, "60s"), batch=o.batch or 50_000
    )
    now = sim.clock.now_ms()
    for run in _plan(fleet, specs, o.seed, now, None):
        sim.add(run)
        _announce(run)
    publisher: Publisher
    if o.mqtt_url:
        publisher = MqttPublisher(o.mqtt_url, o.tenant)
    elif http is not None:
        publisher = http
    else:
        assert hub is not None  # _main checked that one target was given
        publisher = InProcessPublisher(hub, o.tenant)
    typer.echo(_describe(fleet, sim.engine.interval_ms, sim.engine.readings_per_interval), err=True)
    missing = len(clone_entities(fleet))
    if missing:
        typer.echo(f"  tạo / creating {missing:,} synthetic entities …", err=True)
    # MQTT cannot create entities with a location: the hub or the server can, when given.
    creator = http or (InProcessPublisher(hub, o.tenant) if hub is not None else publisher)
    await sim.prepare(creator)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if o.duration:
        loop.call_later(parse_duration(o.duration) / 1000, stop.set)
    report = asyncio.create_task(_report(sim, stop))
    try:
        stats = await sim.run(publisher, stop)
    finally:
        stop.set()
        await report
        if publisher is not http:
            await publisher.aclose()
    seconds = max((sim.clock.now_ms() - (stats.started_at or now)) / 1000, 1e-3)
    typer.echo(
        f"Đã gửi {stats.readings:,} bản ghi trong {seconds:.0f} s / published {stats.readings:,}"
        f" readings in {seconds:.0f} s ({stats.readings / seconds:,.0f} readings/s);"
        f" errors {stats.errors}, skipped {stats.skipped_ms / 1000:.0f} s"
    )


async def _report(sim: Simulator, stop: asyncio.Event, every_s: float = 10.0) -> None:
    while not stop.is_set():
        # not wait_for: on 3.11 it can swallow a cancellation (see subscriptions/notifier)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(every_s):
                await stop.wait()
        s = sim.stats
        typer.echo(f"  {s.readings:,} readings, {s.errors} errors", err=True)

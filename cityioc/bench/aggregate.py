"""Hourly averages over a year of per-minute data of one attribute, against a full raw scan."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import orjson

from cityioc.bench.context import Context, after
from cityioc.bench.databases import Backend, raw_scan
from cityioc.bench.latency import load_batches, percentile_ms, replay_gets, timed_gets
from cityioc.bench.readings import SeriesPlan
from cityioc.bench.report import Row, Section, Target
from cityioc.bench.server import Server
from cityioc.core.clock import iso_ms

NAME = "aggregate"
TITLE = "Hourly average over a year of per-minute data"
TARGET = Target(50.0, at_least=False)
PLAN = SeriesPlan("WeatherObserved", 0, 1, ("temperature",), 60_000, seed=11)


def run(ctx: Context) -> Section:
    s = ctx.sizes
    section = Section(
        NAME,
        TITLE,
        f"One `temperature` series with {s.year_minutes:,} per-minute samples, loaded through"
        f" `POST /api/v1/readings` in batches of {s.backfill_batch:,} (the backfill rate below),"
        " then, once the store has settled (SQLite: hot samples compacted; PostgreSQL: ANALYZE),"
        f" `GET /ngsi-ld/v1/temporal/entities/{{id}}?format=aggregatedValues&aggrMethods=avg"
        f"&aggrPeriodDuration=PT1H&timerel=between` over the whole period, {s.aggregate_queries}"
        " times in a row on one connection after 3 untimed ones; the figure is the p95 latency."
        " Reference: a full scan of the raw samples of that series in the same database, timed"
        " the same number of times (its p95).",
    )
    for backend in ctx.backends:
        section.rows.append(_measure(ctx, backend, section))
    return section


def _path(minutes: int) -> str:
    params = {
        "format": "aggregatedValues",
        "aggrMethods": "avg",
        "aggrPeriodDuration": "PT1H",
        "timerel": "between",
        "timeAt": iso_ms(PLAN.start_ms),
        "endTimeAt": iso_ms(PLAN.start_ms + minutes * 60_000),
    }
    return f"/ngsi-ld/v1/temporal/entities/{quote(PLAN.entity_id(0), safe=':')}?{urlencode(params)}"


def _measure(ctx: Context, backend: Backend, section: Section) -> Row:
    s = ctx.sizes
    row = Row(backend.name, None, "ms", TARGET, ratio_percent=False)
    if backend.skip:
        row.note = backend.skip
        return row
    path = _path(s.year_minutes)
    with backend.fresh(ctx.workdir) as db:
        with (
            Server(db.url, ctx.workdir, f"{NAME}-{backend.kind}") as server,
            server.client() as http,
        ):
            backfill = load_batches(
                http,
                "/api/v1/readings",
                s.year_minutes,
                s.backfill_batch,
                PLAN.body,
                s.load_budget_s,
            )
            row.note = backfill.shortfall(s.year_minutes, "readings", s.load_budget_s)
            settled = db.settle(s.settle_seconds)
            latencies, bodies = timed_gets(http, [path] * s.aggregate_queries)
            row.figure = percentile_ms(latencies, 95)
            profile = ctx.profile(
                row.missed(),
                server.pid,
                f"{backend.name}, {TITLE}",
                lambda start: after(start, lambda: replay_gets(http, [path], s.profile_seconds)),
            )
        label, scan = raw_scan(db, PLAN.entity_id(0), s.aggregate_queries)
    row.reference, row.reference_label = percentile_ms(scan, 95), "raw scan p95"
    if profile is not None:
        section.profiles.append(profile)
    buckets = _buckets(bodies[-1])
    section.details.append(
        f"{backend.name}: backfill {backfill.rate:,.0f} readings/s; query p50"
        f" {percentile_ms(latencies, 50):.1f} ms, {buckets:,} hourly averages per answer;"
        f" settling took {settled:.1f} s; reference: {label}, p50 {percentile_ms(scan, 50):.1f} ms"
    )
    return row


def _buckets(body: bytes) -> int:
    doc = orjson.loads(body)
    for value in doc.values():
        if isinstance(value, dict) and isinstance(value.get("avg"), list):
            return len(value["avg"])
    return 0

"""Bytes per stored reading, indexes included, against the unindexed raw table of the same rows."""

from __future__ import annotations

from cityioc.bench.context import Context
from cityioc.bench.databases import Backend, Database
from cityioc.bench.latency import load_batches
from cityioc.bench.readings import SeriesPlan
from cityioc.bench.report import Row, Section, Target
from cityioc.bench.server import Server

NAME = "size"
TITLE = "Bytes per stored reading"
TARGETS = {"sqlite": Target(32.0, at_least=False), "postgresql": Target(64.0, at_least=False)}
ATTRS = ("temperature", "relativeHumidity", "atmosphericPressure")
BATCH = 10_000


def run(ctx: Context) -> Section:
    s = ctx.sizes
    section = Section(
        NAME,
        TITLE,
        f"{s.size_readings:,} per-minute readings of {s.size_entities * len(ATTRS):,} series"
        f" ({s.size_entities:,} entities × {len(ATTRS)} attributes, values with one decimal)"
        " loaded through `POST /api/v1/readings`; once the store has settled and stopped, the"
        " size of its tables with their indexes (SQLite: pages counted by `dbstat`; PostgreSQL:"
        " `pg_total_relation_size`) divided by the readings. *Samples* are the tables holding"
        " samples (`samples*`, `sample_*`); the full figure adds `series` and `rollups`."
        " Reference: the same rows appended to an unindexed `(sid, t, v, j)` table (size / rows).",
    )
    for backend in ctx.backends:
        section.rows += _measure(ctx, backend, section)
    return section


def _plan(ctx: Context) -> SeriesPlan:
    return SeriesPlan("WeatherObserved", 0, ctx.sizes.size_entities, ATTRS, 60_000, seed=5)


def _measure(ctx: Context, backend: Backend, section: Section) -> list[Row]:
    s = ctx.sizes
    target = TARGETS.get(backend.kind)
    alone = Row(backend.name, None, "B", target, what="samples alone", ratio_percent=False)
    full = Row(
        backend.name, None, "B", target, what="samples + series + rollups", ratio_percent=False
    )
    if backend.skip:
        alone.note = full.note = backend.skip
        return [alone, full]
    plan = _plan(ctx)
    batch = min(BATCH, s.size_readings)
    with backend.fresh(ctx.workdir) as db:
        with (
            Server(db.url, ctx.workdir, f"{NAME}-{backend.kind}") as server,
            server.client() as http,
        ):
            loaded = load_batches(
                http, "/api/v1/readings", s.size_readings, batch, plan.body, s.load_budget_s
            )
            readings = loaded.items
            settled = db.settle(s.settle_seconds)
        tables = db.table_bytes()
        widths = _rollup_rows(db)
        raw = db.raw_append(
            [plan.raw(i, min(batch, readings - i)) for i in range(0, readings, batch)],
            s.load_budget_s,
        )
    alone.note = full.note = loaded.shortfall(s.size_readings, "readings", s.load_budget_s)
    samples = sum(size for name, size in tables.items() if name.startswith("sample"))
    total = samples + tables.get("series", 0) + tables.get("rollups", 0)
    for row, size in ((alone, samples), (full, total)):
        row.figure = size / readings
        row.reference, row.reference_label = raw.bytes / raw.rows, "unindexed raw table"
    section.extra.append(_breakdown(backend.name, tables, readings, widths, settled))
    return [alone, full]


def _rollup_rows(db: Database) -> dict[int, int]:
    found = {}
    for width in (60_000, 3_600_000, 86_400_000):
        row = db.row("SELECT count(*) FROM rollups WHERE width = ?", [width])
        found[width] = int(row[0]) if row else 0
    return found


def _breakdown(
    backend: str, tables: dict[str, int], readings: int, widths: dict[int, int], settled: float
) -> str:
    """Where the bytes go: every table that holds time-series data."""
    names = sorted(n for n in tables if n.startswith("sample") or n in ("series", "rollups"))
    lines = [
        f"Where the bytes go ({backend}, {readings:,} readings; settled in {settled:.1f} s):",
        "",
        "| table (with indexes) | bytes | per reading |",
        "|---|---:|---:|",
    ]
    lines += [f"| `{n}` | {tables[n]:,} | {tables[n] / readings:.2f} |" for n in names]
    rollups = ", ".join(
        f"{count:,} {label}"
        for label, count in zip(("minute", "hour", "day"), widths.values(), strict=True)
    )
    lines += ["", f"Rollup rows: {rollups}."]
    return "\n".join(lines)

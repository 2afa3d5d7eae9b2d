"""Single-attribute updates (``PATCH …/entities/{id}/attrs``) with history kept, against the same
route with storage switched off (the ``null://`` benchmark reference)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson

from cityioc.bench.context import Context, after
from cityioc.bench.loadgen import Request, run_load
from cityioc.bench.readings import YEAR_2025_MS
from cityioc.bench.report import Row, Section, Target
from cityioc.bench.server import ADMIN_KEY, Server, metric
from cityioc.bench.wrk import run_wrk
from cityioc.core.clock import iso_ms

NAME = "patch"
TITLE = "Single PATCH of an attribute, history kept"
TARGET = Target(5000, at_least=True)
RATIO = Target(0.5, at_least=True)
PREFIX = "urn:ngsi-ld:WeatherObserved:patch-"
BASE_S = YEAR_2025_MS // 1000
RUN_GAP_S = 10_000_000  # each run's observedAt starts past anything an earlier run sent
PY_WORKERS = 4

# Each wrk thread updates its own entities; every request carries a later observedAt than the
# previous one for that entity, so each PATCH adds one sample (nothing is late or repeated).
LUA = """
local counter = 0
local entities, base, nthreads, per
local headers = {}
local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end
function init(args)
  entities, base, nthreads = tonumber(args[1]), tonumber(args[2]), tonumber(args[3])
  per = math.floor(entities / nthreads)
  headers["Authorization"] = "Bearer " .. args[4]
  headers["Content-Type"] = "application/json"
end
function request()
  local e = tid + nthreads * (counter % per)
  local when = os.date("!%Y-%m-%dT%H:%M:%SZ", base + counter)
  local body = string.format(
    '{"temperature":{"type":"Property","value":%.1f,"observedAt":"%s"}}',
    22 + (counter % 140) / 10, when)
  counter = counter + 1
  local path = string.format("/ngsi-ld/v1/entities/PREFIX%05d/attrs", e)
  return wrk.format("PATCH", path, headers, body)
end
""".replace("PREFIX", PREFIX)


def _entities(count: int) -> list[dict[str, object]]:
    rng = np.random.default_rng(7)
    return [
        {
            "id": f"{PREFIX}{i:05d}",
            "type": "WeatherObserved",
            "temperature": {"type": "Property", "value": 27.0, "observedAt": iso_ms(YEAR_2025_MS)},
            "location": {
                "type": "GeoProperty",
                "value": {
                    "type": "Point",
                    "coordinates": [106.55 + 0.3 * rng.random(), 10.85 + 0.4 * rng.random()],
                },
            },
        }
        for i in range(count)
    ]


@dataclass(frozen=True, slots=True)
class PatchWorkload:
    """The Python fallback: the same requests as the Lua script, built before the clock starts."""

    entities: int
    base_s: int

    def requests(self, worker: int, workers: int, limit: int) -> list[Request]:
        per = self.entities // workers
        out = []
        for c in range(limit):
            body = {
                "temperature": {
                    "type": "Property",
                    "value": 22 + (c % 140) / 10,
                    "observedAt": iso_ms((self.base_s + c) * 1000),
                }
            }
            path = f"/ngsi-ld/v1/entities/{PREFIX}{worker + workers * (c % per):05d}/attrs"
            out.append(Request("PATCH", path, orjson.dumps(body)))
        return out


@dataclass(slots=True)
class _Run:
    rate: float
    p50_ms: float
    p95_ms: float
    errors: int
    samples: int


def run(ctx: Context) -> Section:
    s = ctx.sizes
    wrk, why = ctx.wrk()
    tool = (
        f"`wrk` ({s.patch_connections} connections, 2 threads, a Lua script that varies the entity"
        " and `observedAt` per request)"
        if wrk
        else f"the Python load generator ({PY_WORKERS} processes; wrk unavailable: {why} — a"
        " Python client may not saturate the server, so the figure may be a lower bound)"
    )
    section = Section(
        NAME,
        TITLE,
        f"{s.patch_entities:,} WeatherObserved entities; each request updates `temperature` of"
        f" one of them with a new `observedAt`, so each adds a sample to its history. Load: {tool},"
        f" {s.duration:g} s after {s.warmup:g} s of warm-up. Reference: the same server and route"
        " started with `--database-url null://`, an in-memory `NullStore` that keeps entities in a"
        " dict, runs the same `decide` and discards samples (a benchmark reference only, not a"
        " storage option).",
    )
    for backend in ctx.backends:
        row = Row(backend.name, None, "updates/s", TARGET, ratio_target=RATIO)
        section.rows.append(row)
        if backend.skip:
            row.note = backend.skip
            continue
        null = _measure(ctx, "null://", "null", wrk)
        row.reference, row.reference_label = null.rate, "storage off"
        with backend.fresh(ctx.workdir) as db:
            real = _measure(ctx, db.url, backend.kind, wrk, section, row)
        section.details.append(
            f"{backend.name}: latency p50 {real.p50_ms:.1f} ms, p95 {real.p95_ms:.1f} ms"
            f" ({real.samples:,} samples written, warm-up included, {real.errors} errors);"
            f" storage off: p50 {null.p50_ms:.1f} ms, p95 {null.p95_ms:.1f} ms"
        )
    return section


def _measure(
    ctx: Context,
    url: str,
    label: str,
    wrk: str | None,
    section: Section | None = None,
    row: Row | None = None,
) -> _Run:
    s = ctx.sizes
    with Server(url, ctx.workdir, f"{NAME}-{label}") as server:
        with server.client() as http:
            http.call("POST", "/ngsi-ld/v1/entityOperations/upsert", _entities(s.patch_entities))

        def load(run_index: int, seconds: float) -> _Run:
            base = BASE_S + run_index * RUN_GAP_S
            return _drive(ctx, wrk, server.port, base, seconds)

        load(1, s.warmup)
        measured = load(2, s.duration)
        if row is not None and section is not None:
            row.figure = measured.rate
            profile = ctx.profile(
                row.missed(),
                server.pid,
                f"{row.backend}, {TITLE}",
                lambda start: after(start, lambda: load(3, s.profile_seconds)),
            )
            if profile is not None:
                section.profiles.append(profile)
        with server.client() as http:
            measured.samples = int(metric(http, "cityioc_samples_written_total") or 0)
    return measured


def _drive(ctx: Context, wrk: str | None, port: int, base_s: int, seconds: float) -> _Run:
    s = ctx.sizes
    if wrk is not None:
        args = [str(s.patch_entities), str(base_s), "2", ADMIN_KEY]
        done = run_wrk(
            wrk,
            port,
            LUA,
            Path(ctx.workdir),
            seconds=seconds,
            threads=2,
            connections=s.patch_connections,
            args=args,
        )
        return _Run(done.rate, done.p50_ms, done.p95_ms, done.errors, 0)
    limit = int(6000 * seconds)  # more than one Python process can send in that time
    load = run_load(
        PatchWorkload(s.patch_entities, base_s),
        port,
        workers=PY_WORKERS,
        warmup=0.0,
        duration=seconds,
        limit=limit,
    )
    lat = np.array(load.latencies or [0.0]) * 1000
    return _Run(
        load.rate, float(np.percentile(lat, 50)), float(np.percentile(lat, 95)), load.errors, 0
    )

"""``q`` + geo query over 100,000 AirQualityObserved entities at random points of Bình Dương."""

from __future__ import annotations

from urllib.parse import urlencode

import numpy as np
import orjson

from cityioc.bench.context import Context, after
from cityioc.bench.databases import Backend
from cityioc.bench.latency import (
    http_auth,
    load_batches,
    percentile_ms,
    replay_gets,
    timed_gets,
)
from cityioc.bench.readings import YEAR_2025_MS
from cityioc.bench.report import Row, Section, Target
from cityioc.bench.server import Http, Server
from cityioc.core.clock import iso_ms

NAME = "query"
TITLE = "q + geo query over 100,000 entities"
TARGET = Target(50.0, at_least=False)
LON, LAT = (106.55, 106.85), (10.85, 11.25)  # Bình Dương
COUNTED = 10  # points whose total matches are counted (untimed, count=true)


def run(ctx: Context) -> Section:
    s = ctx.sizes
    section = Section(
        NAME,
        TITLE,
        f"{s.query_entities:,} AirQualityObserved entities at random points of Bình Dương"
        f" (lon {LON[0]}–{LON[1]}, lat {LAT[0]}–{LAT[1]}) with `pm25` random in 0–150, loaded"
        f" through `POST /ngsi-ld/v1/entityOperations/upsert` in batches of {s.upsert_batch:,}"
        " (the load rate below); then `GET /ngsi-ld/v1/entities?type=AirQualityObserved"
        "&q=pm25>50&georel=near;maxDistance==2000&geometry=Point&coordinates=[lon,lat]` at"
        f" {s.queries} random points, one after another on one connection after 3 untimed ones"
        " (default page size); the figure is the p95 latency. No reference.",
    )
    for backend in ctx.backends:
        section.rows.append(_measure(ctx, backend, section))
    return section


def _entities(start: int, count: int) -> bytes:
    rng = np.random.default_rng((2025, start))
    lon = (LON[0] + rng.random(count) * (LON[1] - LON[0])).tolist()
    lat = (LAT[0] + rng.random(count) * (LAT[1] - LAT[0])).tolist()
    pm25 = np.round(rng.random(count) * 150, 1).tolist()
    when = iso_ms(YEAR_2025_MS)
    return orjson.dumps(
        [
            {
                "id": f"urn:ngsi-ld:AirQualityObserved:bd-{start + i:06d}",
                "type": "AirQualityObserved",
                "pm25": {
                    "type": "Property",
                    "value": pm25[i],
                    "unitCode": "GQ",
                    "observedAt": when,
                },
                "location": {
                    "type": "GeoProperty",
                    "value": {"type": "Point", "coordinates": [lon[i], lat[i]]},
                },
            }
            for i in range(count)
        ]
    )


def _paths(count: int, extra: dict[str, str] | None = None) -> list[str]:
    rng = np.random.default_rng(11)
    out = []
    for _ in range(count):
        lon = LON[0] + rng.random() * (LON[1] - LON[0])
        lat = LAT[0] + rng.random() * (LAT[1] - LAT[0])
        params = {
            "type": "AirQualityObserved",
            "q": "pm25>50",
            "georel": "near;maxDistance==2000",
            "geometry": "Point",
            "coordinates": f"[{lon:.5f},{lat:.5f}]",
            **(extra or {}),
        }
        out.append("/ngsi-ld/v1/entities?" + urlencode(params))
    return out


def _measure(ctx: Context, backend: Backend, section: Section) -> Row:
    s = ctx.sizes
    row = Row(backend.name, None, "ms", TARGET)
    if backend.skip:
        row.note = backend.skip
        return row
    paths = _paths(s.queries)
    with (
        backend.fresh(ctx.workdir) as db,
        Server(db.url, ctx.workdir, f"{NAME}-{backend.kind}") as server,
        server.client() as http,
    ):
        loaded = load_batches(
            http,
            "/ngsi-ld/v1/entityOperations/upsert",
            s.query_entities,
            s.upsert_batch,
            _entities,
            s.load_budget_s,
        )
        row.note = loaded.shortfall(s.query_entities, "entities", s.load_budget_s)
        db.settle(0.0)
        latencies, bodies = timed_gets(http, paths)
        row.figure = percentile_ms(latencies, 95)
        matches = _matches(http, _paths(min(COUNTED, s.queries), {"count": "true"}))
        profile = ctx.profile(
            row.missed(),
            server.pid,
            f"{backend.name}, {TITLE}",
            lambda start: after(start, lambda: replay_gets(http, paths, s.profile_seconds)),
        )
    if profile is not None:
        section.profiles.append(profile)
    page = np.mean([len(_json_list(b)) for b in bodies])
    section.details.append(
        f"{backend.name}: upsert load {loaded.rate:,.0f} entities/s; query p50"
        f" {percentile_ms(latencies, 50):.1f} ms; {page:.1f} entities per answer (first page);"
        f" {np.median(matches):,.0f} matching entities per point (median of {len(matches)},"
        " counted with count=true)"
    )
    return row


def _matches(http: Http, paths: list[str]) -> list[int]:
    out = []
    for path in paths:
        _, headers, _ = http.request("GET", path, None, {"Authorization": http_auth()})
        count = {k.lower(): v for k, v in headers.items()}.get("ngsild-results-count", "0")
        out.append(int(count))
    return out


def _json_list(body: bytes) -> list[object]:
    found = orjson.loads(body)
    return found if isinstance(found, list) else []

"""The web UI with 10,000 sensors and 1,000 incidents: time until the live page (``/ops``) is
ready in headless Chromium, what it transfers (compressed) before map tiles, and its frame times
while 100 sensor readings a second change what it shows."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cityioc.bench import ui_city, ui_page
from cityioc.bench.context import Context
from cityioc.bench.report import Row, Section, Target
from cityioc.bench.server import ADMIN_KEY, Server

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

NAME = "ui"
TITLE = "Web UI: the live page with 10,000 sensors and 1,000 incidents"
KB = 1024
READY = Target(2000, at_least=False)
SIZE = Target(600, at_least=False)  # KB (1,024 B) compressed, before map tiles
LONG_FRAME_MS = 50


@dataclass(frozen=True, slots=True)
class UiSizes:
    sensors: int
    incidents: int
    cold_loads: int
    frame_seconds: float
    rate: int  # readings/s while frames are sampled
    fed: int  # air-quality stations the readings go to
    settle_s: float  # pauses: after the load, after the feed starts, after it ends


FULL = UiSizes(10_000, 1_000, 7, 10.0, 100, 100, 1.0)
QUICK = UiSizes(300, 10, 2, 1.0, 100, 40, 0.4)


def run(ctx: Context) -> Section:
    n = QUICK if ctx.quick else FULL
    section = Section(
        NAME,
        TITLE,
        f"A fresh database with {n.sensors:,} sensors of the pack's types (streetlights, air,"
        " traffic, flood, weather, noise, parking, water) at random places over Bình Dương, written"
        f" by batch upsert, and {n.incidents:,} incidents opened through `POST /api/v1/incidents`;"
        " one real `cityioc serve`; Debian's Chromium, headless, driven by Playwright, signed in"
        " with an operator's API key, 1440×900, no map tiles configured. **Ready**: from"
        " navigation start to the first frame after the page's `ready` hook (the entities are"
        " loaded and their markers placed), median and p95 of"
        f" {n.cold_loads} cold loads of `/ops`, each in a fresh browser context (no cache)."
        " Reference: the same page against the same server before any data was written (the"
        " app's own start-up: scripts, config, sign-in, empty lists), so the ratio is what the"
        " city's data costs. **Transferred**: the encoded (as sent, compressed) body sizes of"
        " the document and every resource it loaded until ready (Resource Timing), against"
        " their decoded size. **Frames**: `requestAnimationFrame` intervals over"
        f" {n.frame_seconds:g} s while a separate process posts {n.rate} readings/s (10 requests"
        f" a second) to {n.fed} air stations, each reading flipping a station between good and"
        " poor air; reference: the same page idle.",
    )
    why = ui_page.missing()
    for backend in ctx.backends:
        rows = _rows(backend.name)
        section.rows += rows
        skip = backend.skip or why
        if skip:
            for row in rows:
                row.note = skip
            continue
        with backend.fresh(ctx.workdir) as db, Server(db.url, ctx.workdir, NAME) as server:
            _measure(n, server, section, backend.name, rows, ctx.sizes.upsert_batch)
    return section


def _rows(backend: str) -> list[Row]:
    return [
        Row(backend, None, "ms", READY, what="ready, median", reference_label="no data"),
        Row(backend, None, "ms", READY, what="ready, p95", reference_label="no data"),
        Row(backend, None, "KB", SIZE, what="transferred", reference_label="uncompressed"),
        Row(backend, None, "ms", what="frame time p95, 100 events/s", reference_label="idle"),
        Row(backend, None, "ms", what="frame time p99, 100 events/s", reference_label="idle"),
    ]


def _measure(
    n: UiSizes, server: Server, section: Section, name: str, rows: list[Row], batch: int
) -> None:
    ready_median, ready_p95, size, frame_p95, frame_p99 = rows
    url = f"http://127.0.0.1:{server.port}"
    with ui_page.chromium() as browser:
        empty = [_cold_load(browser, url) for _ in range(n.cold_loads)]
        with server.client() as http:
            load_s = ui_city.load(http, n.sensors, n.incidents, batch)
        loads = [_cold_load(browser, url) for _ in range(n.cold_loads)]
        ready = [load.ready_ms for load in loads]
        ready_median.figure = statistics.median(ready)
        ready_p95.figure = ui_page.percentile(ready, 95)
        ready_median.reference = statistics.median(e.ready_ms for e in empty)
        ready_p95.reference = ui_page.percentile([e.ready_ms for e in empty], 95)
        ready_median.ratio_percent = ready_p95.ratio_percent = False
        section.details.append(
            f"{name}: data written in {load_s:.1f} s; ready after"
            f" {', '.join(f'{r:,.0f}' for r in ready)} ms (cold loads in order);"
            f" without data {', '.join(f'{e.ready_ms:,.0f}' for e in empty)} ms"
        )
        section.details.append(_where(loads, name))
        _sizes(loads[0], size, section, name)
        _frames(n, server, browser, url, frame_p95, frame_p99, section, name)


def _where(loads: list[ui_page.Load], name: str) -> str:
    """Where a load's time goes (medians): the start-up, fetching the entities, the page's work."""
    seen = [(load, f) for load in loads if (f := load.fetched("ngsi-ld/")) is not None]
    if not seen:
        return f"{name}: no entity request seen"
    start = statistics.median(f[0] for _, f in seen)
    end = statistics.median(f[1] for _, f in seen)
    ready = statistics.median(load.ready_ms for load, _ in seen)
    busy = statistics.median(load.busy_before(load.ready_ms) for load, _ in seen)
    after = statistics.median(load.busy_before(load.ready_ms, f[1]) for load, f in seen)
    return (
        f"{name}, where the time goes (medians): entity requests start at {start:,.0f} ms (scripts,"
        f" config, sign-in), the last one ends at {end:,.0f} ms, ready at {ready:,.0f} ms; long"
        f" tasks (main thread busy ≥ 50 ms at a time) add up to {busy:,.0f} ms before ready,"
        f" {after:,.0f} ms of it after the last entity response (parsing, styling, drawing)"
    )


def _cold_load(browser: Browser, url: str) -> ui_page.Load:
    with ui_page.opened(browser, url + "/ops", ADMIN_KEY) as (_, load):
        return load


def _sizes(load: ui_page.Load, row: Row, section: Section, name: str) -> None:
    parts: dict[str, list[int]] = {}
    for r in load.resources:
        kind = _kind(str(r["name"]))
        totals = parts.setdefault(kind, [0, 0, 0])
        totals[0] += 1
        totals[1] += int(r["encoded"])
        totals[2] += int(r["decoded"])
    row.figure = sum(p[1] for p in parts.values()) / KB
    row.reference = sum(p[2] for p in parts.values()) / KB
    row.ratio_target = None
    lines = [
        f"**What `/ops` loads until ready ({name}, one cold load; KB = 1,024 B)**",
        "",
        "| part | files | sent (KB) | uncompressed (KB) |",
        "|---|---:|---:|---:|",
    ]
    for kind, (files, encoded, decoded) in sorted(parts.items()):
        lines.append(f"| {kind} | {files} | {encoded / KB:,.1f} | {decoded / KB:,.1f} |")
    section.extra.append("\n".join(lines))


def _kind(url: str) -> str:
    path = url.split("://", 1)[-1].partition("/")[2].partition("?")[0]
    if path.startswith("ui/assets/"):
        ext = path.rsplit(".", 1)[-1]
        return {"js": "script", "css": "styles", "woff2": "fonts", "woff": "fonts"}.get(
            ext, "images"
        )
    if path.startswith("ngsi-ld/"):
        return "data: entities (NGSI-LD query)"
    if path.startswith("api/"):
        return "data: config, session (API)"
    return "page (index.html)"


def _frames(
    n: UiSizes,
    server: Server,
    browser: Browser,
    url: str,
    p95: Row,
    p99: Row,
    section: Section,
    name: str,
) -> None:
    fed = ui_city.air_stations(n.sensors, n.fed)
    with ui_page.opened(browser, url + "/ops", ADMIN_KEY) as (page, _):
        page.wait_for_function("() => window.__cityioc.live === 'live'", timeout=30_000)
        page.wait_for_timeout(n.settle_s * 1000)  # let the first load's clustering settle
        idle = ui_page.frames(page, n.frame_seconds)
        feeder = ui_city.Feeder(server.port, fed, n.rate, n.frame_seconds + 2 * n.settle_s)
        page.wait_for_timeout(n.settle_s * 1000)  # the feed is running and reaching the page
        busy = ui_page.frames(page, n.frame_seconds)
        sent, seconds, posted = feeder.finish(timeout=n.frame_seconds + 60)
        time.sleep(max(0.5, n.settle_s))  # the page batches events every 250 ms
        shown = _shown(page, fed, posted)
    p95.figure, p95.reference = busy.percentile(95), idle.percentile(95)
    p99.figure, p99.reference = busy.percentile(99), idle.percentile(99)
    p95.ratio_percent = p99.ratio_percent = False
    section.details.append(
        f"{name}, frames: {len(busy.deltas):,} under load (p50 {busy.percentile(50):.1f} ms,"
        f" {busy.share_over(LONG_FRAME_MS) * 100:.1f} % over {LONG_FRAME_MS} ms,"
        f" {len(busy.long_tasks)} long tasks, longest {max(busy.long_tasks, default=0):.0f} ms),"
        f" {len(idle.deltas):,} idle (p50 {idle.percentile(50):.1f} ms,"
        f" {idle.share_over(LONG_FRAME_MS) * 100:.1f} % over {LONG_FRAME_MS} ms,"
        f" {len(idle.long_tasks)} long tasks); {sent:,} readings sent in {seconds:.1f} s"
        f" ({sent / seconds:,.0f}/s); {shown}/{len(fed)} fed stations show their last reading"
    )


def _shown(page: Page, fed: list[str], posted: int) -> int:
    """How many fed stations the page draws in the state of the last reading they were sent."""
    states = page.evaluate("(ids) => ids.map((id) => window.__cityioc.state(id))", fed)
    count = 0
    for i, state in enumerate(states):
        last = posted - 1 - ((posted - 1 - i) % len(fed))  # the last cursor that hit station i
        if last < 0:
            continue
        want = "aqi-poor" if ui_city.pm25_at(last // len(fed)) == ui_city.PM25_POOR else "aqi-good"
        count += state == want
    return count

"""Subscription notifications: latency from a committed change to the receiver under load, and a
10× burst that must lose nothing, drain its backlog and keep memory bounded."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

from cityioc.bench.context import Context, after
from cityioc.bench.report import Row, Section, Target
from cityioc.bench.server import Http, Server, free_port, metric
from cityioc.core.clock import iso_ms

NAME = "notify"
TITLE = "Subscription notifications: latency under load, and a 10× burst"
LATENCY = Target(50, at_least=False)
PREFIX = "urn:ngsi-ld:AirQualityObserved:notify-"
TICK_S = 0.1


@dataclass(frozen=True, slots=True)
class NotifySizes:
    entities: int
    rate: int  # updates/s while latency is measured
    seconds: float
    normal_rate: int  # the burst test's normal load; the burst is 10× this
    burst_seconds: float
    calm_seconds: float  # normal load before and after the burst
    drain_budget_s: float


FULL = NotifySizes(1000, 5000, 20, 1000, 60, 15, 180)
QUICK = NotifySizes(100, 500, 2, 100, 2, 1, 30)


class Receiver:
    """``cityioc.bench.receiver`` in its own process."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        with (workdir / f"receiver-{self.port}.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "cityioc.bench.receiver", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.http = Http(self.port, timeout=30)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.stats()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                self.http.close()
                self.http = Http(self.port, timeout=30)
                time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/notify"

    def stats(self) -> dict[str, float]:
        status, _, body = self.http.request("GET", "/stats", headers={})
        assert status == 200
        result: dict[str, float] = orjson.loads(body)
        return result

    def reset(self) -> None:
        self.http.request("POST", "/reset", b"", headers={})

    def close(self) -> None:
        self.http.close()
        self.proc.terminate()
        self.proc.wait(10)


def run(ctx: Context) -> Section:
    n = QUICK if ctx.quick else FULL
    section = Section(
        NAME,
        TITLE,
        f"{n.entities:,} AirQualityObserved entities and one subscription to their `pm25`"
        " (normalized, with `sysAttrs`), delivered to a receiver in its own process that records,"
        " for every notified entity, the time since its `modifiedAt` (set in the write's"
        " transaction): the latency from the committed change to the receiver. Load: readings"
        f" through `POST /api/v1/readings` every {TICK_S * 1000:.0f} ms, each batch touching each"
        f" entity at most once, at {n.rate:,} updates/s for {n.seconds:g} s. Reference: a bare"
        " POST of a notification-sized body from the benchmark to the same receiver (p99)."
        f" Burst: {n.normal_rate:,} updates/s for {n.calm_seconds:g} s, then"
        f" {10 * n.normal_rate:,}/s for {n.burst_seconds:g} s, then {n.normal_rate:,}/s for"
        f" {n.calm_seconds:g} s; every (entity, value) sent must reach the receiver.",
    )
    receiver = Receiver(ctx.workdir)
    try:
        bare_p99 = _bare_post_p99(receiver)
        for backend in ctx.backends:
            latency = Row(backend.name, None, "ms", LATENCY, what=f"p99 at {n.rate:,} updates/s")
            delivered = Row(
                backend.name,
                None,
                "updates",
                what="10× burst, delivered",
                reference_label="sent",
                ratio_target=Target(1.0, at_least=True),
            )
            section.rows += [latency, delivered]
            if backend.skip:
                latency.note = delivered.note = backend.skip
                continue
            with backend.fresh(ctx.workdir) as db, Server(db.url, ctx.workdir, NAME) as server:
                _measure(
                    ctx, n, server, receiver, section, backend.name, latency, delivered, bare_p99
                )
    finally:
        receiver.close()
    return section


def _measure(
    ctx: Context,
    n: NotifySizes,
    server: Server,
    receiver: Receiver,
    section: Section,
    name: str,
    latency: Row,
    delivered: Row,
    bare_p99: float,
) -> None:
    with server.client() as http:
        http.call("POST", "/ngsi-ld/v1/entityOperations/upsert", _entities(n.entities))
        http.call("POST", "/ngsi-ld/v1/subscriptions", _subscription(receiver.url))
        receiver.reset()
        sent = _drive(http, n, [(n.rate, n.seconds)], None)
        stats = _drained(receiver, sent, n.drain_budget_s)
        latency.figure = stats["p99_ms"]
        latency.reference, latency.reference_label = bare_p99, "bare POST, p99"
        latency.ratio_percent = False
        profile = ctx.profile(
            latency.missed(),
            server.pid,
            f"{name}, notifications at {n.rate:,} updates/s",
            lambda start: after(
                start, lambda: _drive(http, n, [(n.rate, ctx.sizes.profile_seconds)], None)
            ),
        )
        if profile is not None:
            section.profiles.append(profile)
        section.details.append(
            f"{name}: latency p50 {stats['p50_ms']:.1f} ms, p95 {stats['p95_ms']:.1f} ms,"
            f" p99 {stats['p99_ms']:.1f} ms, max {stats['max_ms']:.0f} ms over"
            f" {int(stats['entities']):,} notified entities in {int(stats['notifications']):,}"
            " notifications"
        )
        receiver.reset()
        watch = _Watch(server)
        phases = [
            (n.normal_rate, n.calm_seconds),
            (10 * n.normal_rate, n.burst_seconds),
            (n.normal_rate, n.calm_seconds),
        ]
        sent = _drive(http, n, phases, watch, start_value=10**9)
        burst_end = time.monotonic()
        stats = _drained(receiver, sent, n.drain_budget_s, watch)
        drained_after = time.monotonic() - burst_end
        watch.close()
        delivered.figure, delivered.reference = float(stats["unique"]), float(sent)
        section.details.append(
            f"{name}, burst: {sent:,} updates sent, {int(stats['unique']):,} distinct ones"
            f" received; backlog peak {watch.peak_backlog:,.0f} notifications, drained"
            f" {drained_after:.1f} s after the load ended; server memory (RSS)"
            f" {watch.rss_before:.0f} MB before, peak {watch.rss_peak:.0f} MB,"
            f" {watch.rss_now():.0f} MB after; burst latency p99 {stats['p99_ms']:.0f} ms"
        )


def _entities(count: int) -> list[dict[str, object]]:
    return [
        {
            "id": f"{PREFIX}{i:05d}",
            "type": "AirQualityObserved",
            "pm25": {"type": "Property", "value": 0},
            "location": {
                "type": "GeoProperty",
                "value": {"type": "Point", "coordinates": [106.6 + i * 1e-4, 10.95]},
            },
        }
        for i in range(count)
    ]


def _subscription(uri: str) -> dict[str, object]:
    return {
        "type": "Subscription",
        "entities": [{"type": "AirQualityObserved"}],
        "watchedAttributes": ["pm25"],
        "notification": {
            "format": "normalized",
            "sysAttrs": True,
            "attributes": ["pm25"],
            "endpoint": {"uri": uri},
        },
    }


def _drive(
    http: Http,
    n: NotifySizes,
    phases: list[tuple[int, float]],
    watch: _Watch | None,
    start_value: int = 0,
) -> int:
    """Send readings at each phase's rate, one batch per tick; returns how many were sent."""
    value, cursor, sent = start_value, 0, 0
    for rate, seconds in phases:
        per_tick = max(1, round(rate * TICK_S))
        ticks = round(seconds / TICK_S)
        next_at = time.monotonic()
        for _ in range(ticks):
            at = iso_ms(int(time.time() * 1000))
            batch = []
            for _ in range(per_tick):
                value += 1
                batch.append(
                    {
                        "entity": f"{PREFIX}{cursor % n.entities:05d}",
                        "attribute": "pm25",
                        "value": value,
                        "observedAt": at,
                    }
                )
                cursor += 1
            http.call("POST", "/api/v1/readings", batch)
            sent += per_tick
            if watch is not None:
                watch.sample()
            next_at += TICK_S
            time.sleep(max(0.0, next_at - time.monotonic()))
    return sent


def _drained(
    receiver: Receiver, sent: int, budget_s: float, watch: _Watch | None = None
) -> dict[str, float]:
    deadline = time.monotonic() + budget_s
    while True:
        stats = receiver.stats()
        if stats["unique"] >= sent or time.monotonic() > deadline:
            return stats
        if watch is not None:
            watch.sample()
        time.sleep(0.2)


class _Watch:
    """Backlog (from /metrics) and server memory, sampled at most once a second."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.http = server.client()
        self.peak_backlog = 0.0
        self.rss_before = self.rss_now()
        self.rss_peak = self.rss_before
        self._last = 0.0

    def close(self) -> None:
        self.http.close()

    def rss_now(self) -> float:
        text = Path(f"/proc/{self.server.pid}/status").read_text()
        found = re.search(r"VmRSS:\s+(\d+) kB", text)
        return int(found.group(1)) / 1024 if found else 0.0

    def sample(self) -> None:
        if time.monotonic() - self._last < 1.0:
            return
        self._last = time.monotonic()
        backlog = metric(self.http, "cityioc_outbox_backlog")
        if backlog is not None:
            self.peak_backlog = max(self.peak_backlog, backlog)
        self.rss_peak = max(self.rss_peak, self.rss_now())


def _bare_post_p99(receiver: Receiver) -> float:
    body = orjson.dumps(
        {
            "id": "urn:ngsi-ld:Notification:bench",
            "type": "Notification",
            "subscriptionId": "urn:ngsi-ld:Subscription:bench",
            "notifiedAt": iso_ms(int(time.time() * 1000)),
            "data": [{"id": f"{PREFIX}00000", "type": "AirQualityObserved", "pm25": {"value": 1}}],
        }
    )
    client = Http(receiver.port, timeout=30)
    times = []
    for _ in range(500):
        started = time.perf_counter()
        client.request("POST", "/notify", body, {"Content-Type": "application/json"})
        times.append((time.perf_counter() - started) * 1000)
    client.close()
    receiver.reset()
    times.sort()
    return times[int(len(times) * 0.99) - 1]

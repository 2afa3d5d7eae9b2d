"""Alert latency on the live stream: from a triggering reading to its alert on ``/api/v1/live``,
under a background load of ordinary readings evaluated through the same 1,000 generated rules.

A real ``cityioc serve`` process holds the example fleet, the generated rules (rule_mix.py) and one
trigger rule (``currentLevel > 1`` on ``BenchTrigger`` entities, no ``for``). A separate process
(``python -m cityioc.bench.rules_live load …``) posts the fleet's readings through
``POST /api/v1/readings`` at the background rate, one batch per 100 ms. The benchmark posts a
triggering reading for a fresh ``BenchTrigger`` entity every ~100 ms and two SSE clients watch
``/api/v1/live``: one for the ``Alert`` each trigger raises (the figure), one for the trigger
entity's own change event (the reference: the live stream without the rule engine in the path).
Both are timed from the moment the reading is sent.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson

from cityioc.bench.context import Context
from cityioc.bench.latency import percentile_ms
from cityioc.bench.report import Row, Section, Target
from cityioc.bench.rule_mix import generated_rules, spans
from cityioc.bench.server import ADMIN_KEY, Http, Server
from cityioc.core.clock import iso_ms
from cityioc.sim.engine import Engine as SimEngine
from cityioc.sim.example import example_entities
from cityioc.sim.fleet import Fleet

NAME = "rules_live"
TITLE = "Alert latency: an accepted reading to its alert on the live stream"
LATENCY = Target(50, at_least=False)
TRIGGER_TYPE = "BenchTrigger"
TRIGGER = f"urn:ngsi-ld:{TRIGGER_TYPE}:t-"
TICK_S = 0.1
MINUTE = 60_000
START_MS = 1_767_225_600_000


@dataclass(frozen=True, slots=True)
class LiveSizes:
    sensors: int
    rules: int
    rate: int  # background readings/s
    warmup_s: float
    seconds: float  # triggers are sent for this long, one per TICK_S


FULL = LiveSizes(sensors=1000, rules=1000, rate=5000, warmup_s=5, seconds=30)
QUICK = LiveSizes(sensors=60, rules=50, rate=300, warmup_s=0.5, seconds=1.5)


def run(ctx: Context) -> Section:
    n = QUICK if ctx.quick else FULL
    section = Section(
        NAME,
        TITLE,
        f"A `cityioc serve` process with {n.sensors:,} sensors of the example fleet,"
        f" {n.rules:,} generated rules (as in the rule evaluation section) and a trigger rule."
        f" Background: the fleet's readings at {n.rate:,} readings/s from a separate process"
        f" (`POST /api/v1/readings`, a batch per {TICK_S * 1000:.0f} ms, after"
        f" {n.warmup_s:g} s of warm-up). Every ~{TICK_S * 1000:.0f} ms for {n.seconds:g} s one"
        " reading crosses the trigger rule's threshold on a fresh entity; an SSE client on"
        " `/api/v1/live?type=Alert` times the alert it raises, from the moment the reading is sent"
        " (p99). Reference: the same readings' own entity events on `/api/v1/live` (p99), i.e."
        " the stream without the rule engine in the path.",
    )
    for backend in ctx.backends:
        row = Row(
            backend.name,
            None,
            "ms",
            LATENCY,
            reference_label="the reading's own event",
            ratio_percent=False,
            what=f"p99 at {n.rate:,} readings/s, {n.rules:,} rules",
        )
        section.rows.append(row)
        if backend.skip:
            row.note = backend.skip
            continue
        with backend.fresh(ctx.workdir) as db, Server(db.url, ctx.workdir, NAME) as server:
            _measure(ctx, n, server, row, section, backend.name)
    return section


def _measure(
    ctx: Context, n: LiveSizes, server: Server, row: Row, section: Section, name: str
) -> None:
    triggers = int(n.seconds / TICK_S)
    profile_triggers = int(ctx.sizes.profile_seconds / TICK_S) + 10
    with server.client() as http:
        _prepare(http, n, triggers + profile_triggers)
        alerts = _Listener(server.port, "Alert", lambda e: _value(e, "alertSource"))
        own = _Listener(server.port, TRIGGER_TYPE, lambda e: str(e.get("id", "")))
        load = _start_load(ctx.workdir, server.port, n)
        try:
            time.sleep(n.warmup_s)
            sent, accepted = _trigger(http, triggers)
            time.sleep(0.5 if ctx.quick else 1.0)  # the last alerts
        finally:
            load.terminate()
            load.wait(10)
            alerts.close()
            own.close()
        missed = not to_alert_met(alerts.seen, sent)

        def replay(start: Callable[[], None]) -> None:
            again = _start_load(ctx.workdir, server.port, n)
            try:
                time.sleep(n.warmup_s)
                start()
                _trigger(http, int(ctx.sizes.profile_seconds / TICK_S), first=triggers)
            finally:
                again.terminate()
                again.wait(10)

        profile = ctx.profile(missed, server.pid, f"{name}, alert latency under load", replay)
        if profile is not None:
            section.profiles.append(profile)
    to_alert = [alerts.seen[k] - t for k, t in sent.items() if k in alerts.seen]
    to_event = [own.seen[k] - t for k, t in sent.items() if k in own.seen]
    if to_alert:
        row.figure = percentile_ms(to_alert, 99)
    else:
        row.note = "no alert reached the stream"
    row.reference = percentile_ms(to_event, 99) if to_event else None
    lost = len(sent) - len(to_alert)
    section.details.append(
        f"{name}: {len(sent)} triggering readings, {len(to_alert)} alerts on the stream"
        + (f" (**{lost} missing** at the end)" if lost else "")
        + f"; alert latency p50 {percentile_ms(to_alert, 50):.1f} ms, max"
        f" {max(to_alert, default=0) * 1000:.1f} ms; reading accepted (POST answered) p99"
        f" {percentile_ms(accepted, 99):.1f} ms; background load achieved"
        f" {_load_rate(ctx.workdir, server.port):,.0f} readings/s"
    )


def _prepare(http: Http, n: LiveSizes, triggers: int) -> None:
    entities = example_entities(n.sensors)
    for start in range(0, len(entities), 500):
        http.call(
            "POST", "/ngsi-ld/v1/entityOperations/upsert", _normalized(entities[start:][:500])
        )
    trigger_entities = [
        {"id": f"{TRIGGER}{i:05d}", "type": TRIGGER_TYPE, "currentLevel": 0.0}
        for i in range(triggers)
    ]
    http.call("POST", "/ngsi-ld/v1/entityOperations/upsert", _normalized(trigger_entities))
    fleet = Fleet.from_entities(entities)
    sample = SimEngine(fleet, seed=2, interval_ms=MINUTE).readings(START_MS, START_MS + MINUTE)
    for rule in generated_rules(n.rules, spans(sample)):
        http.call("POST", "/api/v1/alert-rules", rule)
    http.call("POST", "/api/v1/alert-rules", _trigger_rule())


def _trigger_rule() -> dict[str, object]:
    return {
        "id": "bench-trigger",
        "kind": "threshold",
        "name": {"vi": "Ngưỡng thử", "en": "Benchmark trigger"},
        "scope": {"types": [TRIGGER_TYPE]},
        "when": {"attribute": "currentLevel", "op": ">", "value": 1.0},
        "alert": {
            "category": "naturalDisaster",
            "sub_category": "flood",
            "severity": "high",
            "cap": {"category": "Met", "severity": "Severe"},
            "title": {"vi": "Thử {name}", "en": "Trigger {name}"},
        },
    }


def to_alert_met(seen: dict[str, float], sent: dict[str, float]) -> bool:
    """Every trigger's alert arrived, and the p99 is within the target."""
    times = [seen[k] - t for k, t in sent.items() if k in seen]
    return len(times) == len(sent) and LATENCY.met(percentile_ms(times, 99))


def _trigger(http: Http, count: int, first: int = 0) -> tuple[dict[str, float], list[float]]:
    """``count`` triggering readings, one per TICK_S, on entities ``first``, ``first + 1`` …"""
    sent: dict[str, float] = {}
    accepted: list[float] = []
    next_at = time.monotonic()
    for i in range(first, first + count):
        eid = f"{TRIGGER}{i:05d}"
        body = orjson.dumps(
            [
                {
                    "entity": eid,
                    "attribute": "currentLevel",
                    "value": 2.0,
                    "observedAt": iso_ms(int(time.time() * 1000)),
                }
            ]
        )
        started = time.monotonic()
        sent[eid] = started
        status, _, data = http.request("POST", "/api/v1/readings", body)
        if not 200 <= status < 300:
            raise RuntimeError(f"trigger reading answered {status}: {data[:300]!r}")
        accepted.append(time.monotonic() - started)
        next_at += TICK_S
        time.sleep(max(0.0, next_at - time.monotonic()))
    return sent, accepted


def _value(event: dict[str, object], name: str) -> str:
    attr = event.get(name)
    return str(attr.get("value", "")) if isinstance(attr, dict) else ""


@dataclass
class _Listener:
    """An SSE client in a thread: the first arrival time of each key seen on the stream."""

    port: int
    type: str
    key: object  # Callable[[dict[str, object]], str]
    seen: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the live stream never said it was ready")

    def _listen(self) -> None:
        url = f"http://127.0.0.1:{self.port}/api/v1/live"
        headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
        key = self.key
        assert callable(key)
        try:
            with httpx.stream(
                "GET", url, params={"type": self.type}, headers=headers, timeout=None
            ) as response:
                kind = ""
                for line in response.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith("event:"):
                        kind = line[6:].strip()
                        if kind == "ready":
                            self._ready.set()
                    elif line.startswith("data:") and kind == "entity":
                        now = time.monotonic()
                        entity = orjson.loads(line[5:]).get("entity", {})
                        found = key(entity)
                        if found and found not in self.seen:
                            self.seen[found] = now
        except httpx.HTTPError:  # the server stopped first: the figures are taken by then
            return

    def close(self) -> None:
        self._stop.set()  # the thread ends at its next event (a heartbeat at the latest)


def _start_load(workdir: Path, port: int, n: LiveSizes) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "cityioc.bench.rules_live", "load", str(port)]
    command += [str(n.sensors), str(n.rate)]
    with (workdir / f"rules-live-load-{port}.log").open("ab") as log:  # the child keeps its own
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


def _load_rate(workdir: Path, port: int) -> float:
    """The rate the load process reported last (its log's last line: readings, seconds)."""
    try:
        last = (workdir / f"rules-live-load-{port}.log").read_text().split()
        return float(last[-2]) / float(last[-1]) if len(last) >= 2 else 0.0
    except (OSError, ValueError, ZeroDivisionError):
        return 0.0


def _load_main(port: int, sensors: int, rate: int) -> None:
    """The background load: the fleet's readings, stamped now, ``rate`` per second until killed."""
    fleet = Fleet.from_entities(example_entities(sensors))
    pool = SimEngine(fleet, seed=3, interval_ms=MINUTE).readings(START_MS, START_MS + 30 * MINUTE)
    per_tick = max(1, round(rate * TICK_S))
    http = Http(port, timeout=60)
    cursor, sent, started = 0, 0, time.monotonic()
    next_at = started
    while True:
        at = iso_ms(int(time.time() * 1000))
        batch = []
        for _ in range(per_tick):
            r = pool[cursor % len(pool)]
            cursor += 1
            batch.append({**r, "observedAt": at})
        http.call("POST", "/api/v1/readings", batch)
        sent += per_tick
        if sent % (per_tick * 10) == 0:
            print(sent, round(time.monotonic() - started, 3), flush=True)
        next_at += TICK_S
        time.sleep(max(0.0, next_at - time.monotonic()))


def _normalized(entities: list[dict[str, object]]) -> list[dict[str, object]]:
    out = []
    for entity in entities:
        body: dict[str, object] = {"id": entity["id"], "type": entity["type"]}
        for name, value in entity.items():
            if name not in ("id", "type"):
                kind = "GeoProperty" if name == "location" else "Property"
                body[name] = {"type": kind, "value": value}
        out.append(body)
    return out


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "load":
    _load_main(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))

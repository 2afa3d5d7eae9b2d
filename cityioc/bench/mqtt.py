"""MQTT ingest: messages of 3 readings at QoS 1, committed then acknowledged, through the real
server (the consumer inside ``cityioc serve``) and through ``cityioc ingest mqtt --workers 2``,
beside the broker with bare subscribers that only parse (the same number of processes)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from cityioc.bench import mqtt_load
from cityioc.bench.context import Context
from cityioc.bench.databases import Backend, Database
from cityioc.bench.report import Row, Section, Target
from cityioc.bench.server import ADMIN_KEY, HOST, free_port

NAME = "mqtt"
TITLE = "MQTT ingest (QoS 1, durable)"
TARGET = Target(10_000, at_least=True)
ROLES = {"serve": ["serve"], "workers": ["w0", "w1"]}
LABELS = {"serve": "in `cityioc serve`", "workers": "`ingest mqtt --workers 2`"}
# Compacted samples plus hot rows, counted in one statement (one snapshot: a compaction moving
# rows meanwhile is seen before or after, never half).
COUNT_SQL = {
    "sqlite": "SELECT (SELECT coalesce(sum(n), 0) FROM sample_blocks)"
    " + (SELECT count(*) FROM samples_hot) + (SELECT count(*) FROM samples_new)",
    "postgresql": "SELECT (SELECT coalesce(sum(n), 0) FROM sample_blocks)"
    " + (SELECT count(*) FROM samples)",
}


@dataclass(frozen=True, slots=True)
class MqttSizes:
    messages: int
    entities: int


FULL = MqttSizes(messages=200_000, entities=1000)
QUICK = MqttSizes(messages=2000, entities=100)


def run(ctx: Context) -> Section:
    sizes = QUICK if ctx.quick else FULL
    section = Section(
        NAME,
        TITLE,
        f"{sizes.messages:,} messages of 3 readings ({sizes.entities:,} entities, keyValues with"
        " `observedAt`, every series moving forward) are published at QoS 1 into the consumers'"
        " persistent sessions on a Mosquitto of the benchmark's own (`max_queued_messages 0`);"
        " then the consumers start and the figure is how fast they drain the backlog: messages"
        " committed per second (database polled for the stored samples), each acknowledged only"
        " after its batch committed (`mqtt_batch_max_messages` 2000). No publisher competes for"
        " the cores while it is measured. Reference: the same backlog drained by bare paho"
        " subscribers that parse each message's JSON and topic and acknowledge it (as many"
        " processes as the row has consumers).",
    )
    for backend in ctx.backends:
        for mode in ROLES:
            section.rows.append(_measure(ctx, backend, mode, sizes, section))
    return section


def _measure(ctx: Context, backend: Backend, mode: str, sizes: MqttSizes, section: Section) -> Row:
    row = Row(backend.name, None, "messages/s", TARGET, what=LABELS[mode])
    if backend.skip:
        row.note = backend.skip
        return row
    batch = mqtt_load.messages(sizes.messages, sizes.entities)
    roles = ROLES[mode]
    with mqtt_load.private_broker(ctx.workdir) as port:
        ids = [f"bench-ref-{r}" for r in roles]
        mqtt_load.make_sessions(port, ids)
        mqtt_load.publish(port, batch)
        row.reference = mqtt_load.reference(port, ids, len(batch))
        row.reference_label = f"bare subscriber × {len(roles)}"
    with backend.fresh(ctx.workdir) as db, mqtt_load.private_broker(ctx.workdir) as port:
        mqtt_load.make_sessions(port, [f"bench-{r}" for r in roles])
        publish_s = mqtt_load.publish(port, batch)
        proc = _start_consumers(ctx, db, port, mode)
        try:
            rate, stored = _drain(db, 3 * len(batch), proc)
            row.figure = rate
            if stored != 3 * len(batch):
                row.note = f"{stored:,} of {3 * len(batch):,} readings stored in time"
            profile = ctx.profile(
                row.missed() and mode == "serve",
                proc.pid,
                f"{backend.name}, {TITLE}",
                lambda start: _replay(start, db, port, sizes, stored, proc),
            )
            if profile is not None:
                section.profiles.append(profile)
        finally:
            _stop(proc)
    section.details.append(
        f"{backend.name}, {LABELS[mode]}: backlog published in {publish_s:.1f} s"
        f" ({len(batch) / publish_s:,.0f} messages/s into the broker);"
        f" {stored:,} readings stored"
    )
    return row


def _start_consumers(ctx: Context, db: Database, port: int, mode: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITYIOC_")}
    env.update(
        CITYIOC_ADMIN_KEY=ADMIN_KEY,
        CITYIOC_MQTT_TOPIC_ROOT=mqtt_load.ROOT,
        CITYIOC_MQTT_SHARED_GROUP=mqtt_load.GROUP,
        CITYIOC_MQTT_CLIENT_ID="bench",
    )
    common = ["--database-url", db.url, "--mqtt-url", f"mqtt://{HOST}:{port}"]
    if mode == "serve":
        command = ["serve", "--port", str(free_port()), "--host", HOST, *common]
    else:
        command = ["ingest", "mqtt", "--workers", "2", *common]
    with (ctx.workdir / f"mqtt-{mode}-{port}.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "cityioc.cli", *command],
            env=env,
            cwd=ctx.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def stored_samples(db: Database) -> int:
    try:
        row = db.row(COUNT_SQL[db.kind])
    except Exception:  # the consumers have not created the schema yet
        return 0
    return int(row[0]) if row and row[0] is not None else 0


def _drain(db: Database, expected: int, proc: subprocess.Popen[bytes]) -> tuple[float, int]:
    """Poll the stored readings until all are there; messages/s between the first and last
    commit seen (the consumers' start-up is not counted, unless one poll saw it all)."""
    began = time.monotonic()
    deadline = began + max(120.0, expected / 3 / 1000)
    first: tuple[float, int] | None = None
    last = (time.monotonic(), 0)
    while time.monotonic() < deadline and proc.poll() is None:
        count = stored_samples(db)
        now = time.monotonic()
        if count and first is None:
            first = (now, count)
        last = (now, count)
        if count >= expected:
            break
        time.sleep(0.2)
    if first is None:
        return 0.0, last[1]
    if last[0] <= first[0]:  # a backlog too small to see it drain: a lower bound, start-up included
        return last[1] / 3 / (last[0] - began), last[1]
    return (last[1] - first[1]) / 3 / (last[0] - first[0]), last[1]


def _replay(
    start: Callable[[], None],
    db: Database,
    port: int,
    sizes: MqttSizes,
    already: int,
    proc: subprocess.Popen[bytes],
) -> None:
    """A second backlog (later times), for the profile of the consumer that drains it."""
    batch = mqtt_load.messages(sizes.messages // 2, sizes.entities, first_step=sizes.messages)
    start()
    mqtt_load.publish(port, batch)
    deadline = time.monotonic() + 120
    while stored_samples(db) < already + 3 * len(batch) and time.monotonic() < deadline:
        if proc.poll() is not None:
            return
        time.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

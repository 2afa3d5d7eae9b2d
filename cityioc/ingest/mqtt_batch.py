"""Store a batch of MQTT messages: one ``Hub.ingest_readings`` commit per tenant, bad messages as
dead letters. Shared by the consumer and by the replay of dead letters, so both take one path.

Nothing here acknowledges anything: the caller acknowledges the batch once this returns (the
readings are committed) and once the dead letters it returns are recorded.
"""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cityioc.core.errors import CityError, Conflict
from cityioc.hub.service import Hub
from cityioc.ingest.mqtt_topics import BadMessage, MessageRules, Reason, readings_of, reason_of
from cityioc.store.dead_letter_records import DeadLetter

DEFAULT_TENANT = "default"
MAX_DETAIL = 2000  # characters of a dead letter's detail


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    payload: bytes
    received_at: int  # epoch ms; the time of readings sent without observedAt
    client_id: str = ""  # the consumer that received it


@dataclass(slots=True)
class BatchOutcome:
    readings: int = 0  # stored
    letters: list[DeadLetter] = field(default_factory=list)  # to record before acknowledging
    tenants: set[str] = field(default_factory=set)


@dataclass(slots=True)
class _Group:
    """One tenant's readings, flattened; ``starts[i]`` is where message ``i``'s readings begin."""

    items: list[dict[str, Any]] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)

    def add(self, message: Message, items: list[dict[str, Any]]) -> None:
        self.starts.append(len(self.items))
        self.messages.append(message)
        self.items += items

    def part(self, lo: int, hi: int) -> _Group:
        part = _Group()
        ends = [*self.starts[1:], len(self.items)]
        for i in range(lo, hi):
            part.add(self.messages[i], self.items[self.starts[i] : ends[i]])
        return part


async def store_batch(
    hub: Hub,
    messages: Sequence[Message],
    rules: MessageRules,
    *,
    auto_create: bool,
    actor: str = "mqtt",
) -> BatchOutcome:
    """Parse and store ``messages``; raises only when the database fails (then retry it all:
    readings already committed are stored once, since a repeat of a sample replaces it)."""
    outcome = BatchOutcome()
    groups: dict[str, _Group] = {}
    for message in messages:
        try:
            tenant, items = readings_of(message.topic, message.payload, rules, message.received_at)
        except BadMessage as bad:
            outcome.letters.append(letter_for(message, bad.reason, bad.detail, rules))
            continue
        groups.setdefault(tenant, _Group()).add(message, items)
    stored = await asyncio.gather(
        *(_store(hub, tenant, group, rules, auto_create, actor) for tenant, group in groups.items())
    )
    for tenant, (accepted, letters) in zip(groups, stored, strict=True):
        outcome.readings += accepted
        outcome.letters += letters
        outcome.tenants.add(tenant)
    return outcome


async def _store(
    hub: Hub, tenant: str, group: _Group, rules: MessageRules, auto_create: bool, actor: str
) -> tuple[int, list[DeadLetter]]:
    try:
        result = await hub.ingest_readings(tenant, group.items, actor, auto_create=auto_create)
    except CityError as err:
        if isinstance(err, Conflict):
            raise  # contention, not the data: retried by the caller
        # The whole commit was refused (e.g. text PostgreSQL cannot store): find the culprit.
        n = len(group.messages)
        if n == 1:
            letter = letter_for(group.messages[0], Reason.rejected, err.detail, rules, tenant)
            return 0, [letter]
        halves = await asyncio.gather(
            _store(hub, tenant, group.part(0, n // 2), rules, auto_create, actor),
            _store(hub, tenant, group.part(n // 2, n), rules, auto_create, actor),
        )
        return halves[0][0] + halves[1][0], halves[0][1] + halves[1][1]
    failures: dict[int, list[tuple[int, CityError]]] = {}
    for index, error in result.errors:
        owner = bisect.bisect_right(group.starts, index) - 1
        failures.setdefault(owner, []).append((index, error))
    letters = []
    for owner, errors in failures.items():
        first = errors[0][1]
        detail = "; ".join(f"{group.items[i].get('attribute')}: {e.detail}" for i, e in errors[:20])
        letters.append(letter_for(group.messages[owner], reason_of(first), detail, rules, tenant))
    return result.accepted, letters


def letter_for(
    message: Message, reason: Reason, detail: str, rules: MessageRules, tenant: str | None = None
) -> DeadLetter:
    payload = message.payload
    if len(payload) > rules.max_payload_bytes:
        detail += f" (payload kept: the first {rules.max_payload_bytes:,} bytes)"
        payload = payload[: rules.max_payload_bytes]
    return DeadLetter(
        tenant or _tenant_of(message.topic, rules.root),
        message.received_at,
        "mqtt",
        message.topic,
        reason.value,
        detail[:MAX_DETAIL],
        payload,
        client_id=message.client_id or None,
    )


def _tenant_of(topic: str, root: str) -> str:
    """The tenant level of a topic that could not be parsed, when it looks like one."""
    levels = topic.removeprefix(root + "/").split("/")
    tenant = levels[0] if topic.startswith(root + "/") else ""
    return tenant if tenant.replace("-", "").replace("_", "").isalnum() else DEFAULT_TENANT

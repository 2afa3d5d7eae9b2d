"""Dead letters: whatever an ingest path could not store, kept for an admin to read, fix, replay.

Every ingest path records what it rejects here with the raw payload, where it came from and why:
the MQTT consumer (``source_kind="mqtt"``, the topic), file import (``"file"``, the file name and
line), HTTP (``"http"``). Replaying sends a letter, or a corrected payload, through the same
ingest path again; a letter that then stores cleanly is marked ``replayed``. Repeats of a sample
replace it, so a replayed message is stored once even when part of it was stored before.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from cityioc.core.clock import Clock
from cityioc.core.errors import BadRequestData, Conflict, ResourceNotFound
from cityioc.core.settings import Settings
from cityioc.hub.service import Hub
from cityioc.ingest.mqtt_batch import Message, store_batch
from cityioc.ingest.mqtt_topics import MessageRules
from cityioc.store.dead_letter_records import (
    SOURCE_KINDS,
    STATUSES,
    DeadLetter,
    DeadLetterFilter,
)
from cityioc.store.port import Store

__all__ = [
    "DeadLetter",
    "DeadLetterFilter",
    "ReplayOutcome",
    "Replayer",
    "default_replayers",
    "find",
    "purge",
    "record",
    "record_many",
    "replay",
    "show",
]


@dataclass(slots=True)
class ReplayOutcome:
    letter_id: int
    stored: int = 0  # readings stored by this replay
    problems: list[str] = field(default_factory=list)  # empty: replayed and marked so

    @property
    def replayed(self) -> bool:
        return not self.problems


# Sends one letter's payload through its ingest path again; returns (readings stored, problems).
Replayer = Callable[[Hub, DeadLetter, bytes, str], Awaitable[tuple[int, list[str]]]]


async def record(
    store: Store,
    *,
    tenant: str,
    source_kind: str,
    source: str,
    reason: str,
    detail: str,
    payload: bytes | str,
    received_at: int,
    position: int | None = None,
    client_id: str | None = None,
) -> int:
    """Keep one rejected message or row; returns its id.

    ``source_kind`` is ``"mqtt"``, ``"file"`` or ``"http"``; ``source`` the topic, the file name
    or the request path; ``position`` the line or row number in a file (1-based); ``reason`` a
    short stable code (``malformed_json``, ``invalid_value``, ``unknown_entity`` …) and
    ``detail`` what was wrong, for a person; ``payload`` the raw message or row as received
    (text is stored UTF-8 encoded); ``received_at`` epoch milliseconds (``clock.now_ms()``).
    Example, from a file import::

        await record(store, tenant="default", source_kind="file", source="tram-do.csv",
                     position=12, reason="invalid_value", detail="pm25: 'abc' is not a number",
                     payload=raw_line, received_at=clock.now_ms())
    """
    letter = DeadLetter(
        tenant,
        received_at,
        source_kind,
        source,
        reason,
        detail,
        payload.encode() if isinstance(payload, str) else bytes(payload),
        position,
        client_id,
    )
    return (await record_many(store, [letter]))[0]


async def record_many(store: Store, letters: Sequence[DeadLetter]) -> list[int]:
    """Keep many letters in one write (what a batch consumer does); returns their ids."""
    for letter in letters:
        if letter.source_kind not in SOURCE_KINDS:
            raise BadRequestData(f"source kind must be one of {', '.join(SOURCE_KINDS)}")
    return await store.dead_letters.add(letters)


async def find(store: Store, wanted: DeadLetterFilter) -> tuple[list[DeadLetter], int]:
    """A page of letters, newest first, and how many match in all."""
    if wanted.status is not None and wanted.status not in STATUSES:
        raise BadRequestData(f"status must be one of {', '.join(STATUSES)}")
    return await store.dead_letters.find(wanted)


async def show(store: Store, letter_id: int, tenant: str | None = None) -> DeadLetter:
    letter = await store.dead_letters.get(letter_id)
    if letter is None or (tenant is not None and letter.tenant != tenant):
        raise ResourceNotFound(f"dead letter {letter_id} does not exist")
    return letter


async def replay(
    store: Store,
    hub: Hub,
    letter_id: int,
    replayers: Mapping[str, Replayer],
    clock: Clock,
    *,
    actor: str,
    payload: bytes | None = None,
    tenant: str | None = None,
    force: bool = False,
) -> ReplayOutcome:
    """Send a letter (or ``payload``, its corrected version) through its ingest path again.

    Marked ``replayed`` only when everything in it was stored. A letter already replayed or
    purged is refused unless ``force`` (a purged one has no payload left to send).
    """
    letter = await show(store, letter_id, tenant)
    if letter.status != "new" and not force:
        raise Conflict(f"dead letter {letter_id} is already {letter.status}")
    body = payload if payload is not None else letter.payload
    if not body:
        raise BadRequestData(f"dead letter {letter_id} has no payload: send a corrected one")
    replayer = replayers.get(letter.source_kind)
    if replayer is None:
        raise BadRequestData(f"dead letters from {letter.source_kind!r} cannot be replayed here")
    stored, problems = await replayer(hub, letter, body, actor)
    outcome = ReplayOutcome(letter_id, stored, problems)
    if outcome.replayed:
        await store.dead_letters.mark([letter_id], "replayed", clock.now_ms())
    return outcome


async def purge(store: Store, ids: Sequence[int], clock: Clock) -> int:
    """Mark letters purged and drop their payloads (the record of what happened stays)."""
    return await store.dead_letters.mark(ids, "purged", clock.now_ms())


def mqtt_replayer(rules: MessageRules, auto_create: bool) -> Replayer:
    async def run(
        hub: Hub, letter: DeadLetter, payload: bytes, actor: str
    ) -> tuple[int, list[str]]:
        message = Message(letter.source, payload, letter.received_at, letter.client_id or "")
        # The size limit is for what devices send; an admin's correction is not held to it.
        relaxed = MessageRules(
            rules.root, max(rules.max_payload_bytes, len(payload)), rules.max_clock_skew_ms
        )
        outcome = await store_batch(hub, [message], relaxed, auto_create=auto_create, actor=actor)
        return outcome.readings, [f"{d.reason}: {d.detail}" for d in outcome.letters]

    return run


def default_replayers(settings: Settings) -> dict[str, Replayer]:
    """The replayers of every ingest path (another path adds its own entry here)."""
    rules = MessageRules.from_settings(settings)
    return {"mqtt": mqtt_replayer(rules, settings.mqtt_auto_create)}

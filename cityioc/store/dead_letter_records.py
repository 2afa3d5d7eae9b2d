"""What the dead-letter store keeps: one record per message or row that could not be stored.

Shared by the storage port, both adapters and the service (``cityioc.ingest.dead_letters``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal, Protocol

Status = Literal["new", "replayed", "purged"]
STATUSES: Final = ("new", "replayed", "purged")
SOURCE_KINDS: Final = ("mqtt", "file", "http")
COLUMNS: Final = (
    "id, tenant, received_at, source_kind, source, position, client_id, reason, detail,"
    " payload, status, replayed_at"
)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    tenant: str
    received_at: int  # epoch ms
    source_kind: str  # "mqtt" | "file" | "http"
    source: str  # the topic, the file name or the request path
    reason: str  # a stable code, e.g. "malformed_json"
    detail: str  # what was wrong, for a person
    payload: bytes  # the raw message or row, byte for byte
    position: int | None = None  # line or row number in a file
    client_id: str | None = None  # the consumer (MQTT) or the uploader
    status: Status = "new"
    replayed_at: int | None = None
    id: int = 0  # set by the store

    @staticmethod
    def from_row(row: tuple[Any, ...]) -> DeadLetter:
        (lid, tenant, received, kind, source, position, client, reason, detail, payload) = row[:10]
        return DeadLetter(
            tenant,
            int(received),
            kind,
            source,
            reason,
            detail,
            bytes(payload),
            position,
            client,
            row[10],
            row[11],
            int(lid),
        )

    def insert_values(self) -> tuple[Any, ...]:
        return (
            self.tenant,
            self.received_at,
            self.source_kind,
            self.source,
            self.position,
            self.client_id,
            self.reason,
            self.detail,
            self.payload,
            self.status,
            self.replayed_at,
        )


INSERT_COLUMNS: Final = (
    "tenant, received_at, source_kind, source, position, client_id, reason, detail, payload,"
    " status, replayed_at"
)


@dataclass(frozen=True, slots=True)
class DeadLetterFilter:
    """Which dead letters to list, newest first. ``None`` matches anything."""

    tenant: str | None = None
    status: str | None = None
    reason: str | None = None
    source_kind: str | None = None
    source: str | None = None  # exact topic or file name
    limit: int = 50
    offset: int = 0

    def where(self, mark: str) -> tuple[str, list[Any]]:
        """The WHERE clause (or "") and its parameters, with ``mark`` as the placeholder."""
        parts, params = [], []
        for column in ("tenant", "status", "reason", "source_kind", "source"):
            value = getattr(self, column)
            if value is not None:
                parts.append(f"{column} = {mark}")
                params.append(value)
        return (" WHERE " + " AND ".join(parts) if parts else ""), params


class DeadLetterStore(Protocol):
    """The dead-letter part of the storage port (``Store.dead_letters``)."""

    async def add(self, letters: Sequence[DeadLetter]) -> list[int]:
        """Store new letters (their ``id`` is ignored); returns their ids, in order."""

    async def find(self, wanted: DeadLetterFilter) -> tuple[list[DeadLetter], int]:
        """One page, newest first, and the number of letters matching in all."""

    async def get(self, letter_id: int) -> DeadLetter | None: ...

    async def mark(self, ids: Collection[int], status: Status, at: int) -> int:
        """Set the status of these letters (``purged`` empties the payload); returns how many."""


class MemoryDeadLetters:
    """Dead letters kept in memory: for the benchmark reference store (``NullStore``)."""

    def __init__(self) -> None:
        self._letters: dict[int, DeadLetter] = {}

    async def add(self, letters: Sequence[DeadLetter]) -> list[int]:
        ids = []
        for letter in letters:
            new_id = len(self._letters) + 1
            self._letters[new_id] = replace(letter, id=new_id)
            ids.append(new_id)
        return ids

    async def find(self, wanted: DeadLetterFilter) -> tuple[list[DeadLetter], int]:
        fields = ("tenant", "status", "reason", "source_kind", "source")
        found = [
            d
            for d in reversed(self._letters.values())
            if all(getattr(wanted, f) in (None, getattr(d, f)) for f in fields)
        ]
        return found[wanted.offset : wanted.offset + wanted.limit], len(found)

    async def get(self, letter_id: int) -> DeadLetter | None:
        return self._letters.get(letter_id)

    async def mark(self, ids: Collection[int], status: Status, at: int) -> int:
        changed = [i for i in ids if i in self._letters]
        for i in changed:
            old = self._letters[i]
            if status == "purged":
                self._letters[i] = replace(old, status=status, payload=b"")
            else:
                self._letters[i] = replace(old, status=status, replayed_at=at)
        return len(changed)

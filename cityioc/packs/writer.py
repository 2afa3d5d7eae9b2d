"""Idempotent entity writes through the hub: unchanged entities are not written at all.

Each desired entity is compared with the stored one, attribute by attribute in stored (expanded,
normalized) form. Only what differs is sent, as a batch upsert with ``options=update`` (existing
attributes overwritten, others kept), so a second load of the same pack writes nothing: no new
history samples, no new ``modifiedAt``. Attributes the pack does not define (live readings) are
never touched, and ``initial`` ones (a lamp's ``status``) are written only when absent. A load
never deletes: entities or attributes dropped from a pack stay until deleted explicitly.

Sections whose entities an admin may edit at run time (agencies, procedures) sync with
``keep_edited``: an entity last written by anyone but this load's actor is left as it is and
counted as ``kept``, so a reload never undoes an admin's edit (as alert rules are kept).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cityioc.core.errors import CityError
from cityioc.hub import operations as ops
from cityioc.hub.context import core_context
from cityioc.packs.entities import Desired
from cityioc.packs.problems import PackError, Problem

if TYPE_CHECKING:
    from cityioc.hub.service import Hub

log = logging.getLogger(__name__)
CHUNK = 500  # entities per read and per batch: one transaction each, bounded memory
NAMED = 10  # kept entities named in the log, at most


@dataclass(slots=True)
class SyncCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0  # differ from the pack but edited since by someone else: left as they are

    def __iadd__(self, other: SyncCounts) -> SyncCounts:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.kept += other.kept
        return self

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.kept


class EntityWriter:
    def __init__(self, hub: Hub, tenant: str, actor: str, *, chunk: int = CHUNK) -> None:
        self.hub = hub
        self.tenant = tenant
        self.actor = actor
        self.chunk = chunk

    async def sync(self, desired: Sequence[Desired], *, keep_edited: bool = False) -> SyncCounts:
        """Make the stored entities match ``desired``; returns what it created/updated/left.
        With ``keep_edited``, entities someone else wrote last are not touched (``kept``)."""
        counts = SyncCounts()
        kept: list[str] = []
        for start in range(0, len(desired), self.chunk):
            chunk = desired[start : start + self.chunk]
            counts += await self._sync_chunk(chunk, kept if keep_edited else None)
        if kept:
            named = ", ".join(kept[:NAMED]) + (" …" if len(kept) > NAMED else "")
            log.info("pack load kept %d entities edited since by others: %s", len(kept), named)
        return counts

    async def _sync_chunk(self, desired: Sequence[Desired], kept: list[str] | None) -> SyncCounts:
        core = core_context()
        wanted: list[tuple[Desired, ops.NewEntity, set[str]]] = []
        problems: list[Problem] = []
        for item in desired:
            try:
                full = core.expand_entity_keys({**item.body, **item.initial})
                entity = ops.parse_entity(full)
            except CityError as err:
                problems.append(_problem(item.origin, f"{item.id}: {err.detail}"))
                continue
            wanted.append((item, entity, {core.expand_term(k) for k in item.initial}))
        if problems:
            raise PackError(problems)
        current = await self.hub.store.get_entities(self.tenant, [e.id for _, e, _ in wanted])
        counts = SyncCounts()
        bodies: list[dict[str, Any]] = []
        origins: dict[str, str] = {}
        for item, entity, initial in wanted:
            stored = current.get(entity.id)
            body = _difference(entity, stored, initial)
            if body is None:
                counts.unchanged += 1
            elif kept is not None and stored is not None and stored.modified_by != self.actor:
                counts.kept += 1
                kept.append(entity.id)
            else:
                bodies.append(body)
                origins[entity.id] = item.origin
        if not bodies:
            return counts
        result = await self.hub.batch(self.tenant, "upsert", bodies, self.actor, "update")
        if result.errors:
            raise PackError(
                [
                    _problem(origins.get(eid, ""), f"{eid}: {err.detail}")
                    for eid, err in result.errors
                ]
            )
        counts.created += len(result.created)
        counts.updated += len(result.success) - len(result.created)
        return counts


def _difference(entity: ops.NewEntity, stored: Any, initial: set[str]) -> dict[str, Any] | None:
    """The body to send (expanded names), or None when the stored entity already matches."""
    body: dict[str, Any] = {"id": entity.id, "type": entity.types}
    if stored is None:
        return {**body, **entity.attrs}
    changed = {
        name: attr
        for name, attr in entity.attrs.items()
        if (name not in stored.doc if name in initial else stored.doc.get(name) != attr)
    }
    if not changed and all(t in stored.types for t in entity.types):
        return None
    return {**body, **changed}


def _problem(origin: str, message: str) -> Problem:
    file, _, line = origin.rpartition(":")
    if file and line.isdigit():
        return Problem(file, int(line), message)
    return Problem(origin or "pack", 0, message)

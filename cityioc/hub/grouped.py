"""Group commit above the store: concurrent writes of one (tenant, actor) become one transaction.

A write that finds nothing in flight for its (tenant, actor) goes at once, alone, so a lone write
waits for nothing; the writes that arrive while it is being committed go together next, in one
``Hub.apply`` (one series of round trips and one commit instead of one each). Single-entity
writes of the data hub (a PATCH per sensor from many gateways) and the rule engine's alert writes
(a rule firing for hundreds of stations at once) come that way: on PostgreSQL each commit costs a
few round trips and an fsync, so a burst costs about as much as one write.

Each write keeps its own meaning: its ``decide`` sees the entities it named, fills its own audit
list, and its caller gets back its own part of the mutation. Writes naming an entity already in the
group wait for the next one (their ``decide`` must see the earlier write). If the group fails as a
whole (one ``decide`` raised), each write is retried alone, so one bad write fails only itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from cityioc.hub.models import Mutation, StoredEntity
from cityioc.store.port import AuditRecord

log = logging.getLogger(__name__)
Decide = Callable[[Mapping[str, StoredEntity]], Mutation]
# Hub.apply: (tenant, ids, decide, actor, audit) → the mutation, committed
Apply = Callable[[str, Sequence[str], Decide, str, Sequence[AuditRecord]], Awaitable[Mutation]]
MAX_GROUP = 200  # writes per transaction: bounds how long one group holds its locks


@dataclass(slots=True)
class _Write:
    ids: Sequence[str]
    decide: Decide
    audit: Sequence[AuditRecord]  # the caller's list, which its decide may fill
    done: asyncio.Future[Mutation]
    mutation: Mutation = field(default_factory=Mutation)


class GroupedWrites:
    def __init__(self, write: Apply, max_group: int = MAX_GROUP) -> None:
        self._write = write
        self.max_group = max_group
        self.groups = 0  # transactions written (the metrics and tests read these)
        self.writes = 0
        self._queued: dict[tuple[str, str], list[_Write]] = {}
        self._draining: dict[tuple[str, str], asyncio.Task[None]] = {}  # held: not collected

    async def apply(
        self,
        tenant: str,
        ids: Sequence[str],
        decide: Decide,
        actor: str,
        audit: Sequence[AuditRecord] = (),
    ) -> Mutation:
        """``Hub.apply``, committed together with the writes of the same (tenant, actor) that
        wait meanwhile; returns this write's own mutation."""
        key = (tenant, actor)
        write = _Write(ids, decide, audit, asyncio.get_running_loop().create_future())
        self._queued.setdefault(key, []).append(write)
        if key not in self._draining:
            self._draining[key] = asyncio.get_running_loop().create_task(self._drain(key))
        return await write.done

    async def _drain(self, key: tuple[str, str]) -> None:
        try:
            while queued := self._queued.get(key):
                group, self._queued[key] = self._take(queued)
                await self._commit(key, group)
        finally:
            self._draining.pop(key, None)
            for write in self._queued.pop(key, []):  # only when cancelled (the loop is closing)
                if not write.done.done():
                    write.done.cancel()

    def _take(self, queued: list[_Write]) -> tuple[list[_Write], list[_Write]]:
        """The next group: in arrival order, up to ``max_group``, skipping writes that name an
        entity an earlier write of the group names (they go in a later group, in order)."""
        group: list[_Write] = []
        rest: list[_Write] = []
        named: set[str] = set()
        for write in queued:
            if len(group) < self.max_group and named.isdisjoint(write.ids) and not rest:
                group.append(write)
                named.update(write.ids)
            else:
                rest.append(write)
        return group, rest

    async def _commit(self, key: tuple[str, str], group: list[_Write]) -> None:
        tenant, actor = key
        if len(group) == 1:
            await self._alone(tenant, actor, group[0])
            return
        audit: list[AuditRecord] = []

        def decide(current: Mapping[str, StoredEntity]) -> Mutation:
            audit.clear()  # the store may run this again (a retried transaction)
            merged = Mutation(partial=True)
            for write in group:
                write.mutation = write.decide(current)
                merged.upserts += write.mutation.upserts
                merged.deletes += write.mutation.deletes
                merged.samples += write.mutation.samples
                merged.outbox += write.mutation.outbox
                if write.mutation.upserts or write.mutation.deletes:
                    merged.partial = merged.partial and write.mutation.partial
                audit.extend(write.audit)
            return merged

        ids = [eid for write in group for eid in write.ids]
        try:
            await self._write(tenant, ids, decide, actor, audit)
        except Exception:  # one write failed: each is retried alone
            log.debug("a group of %d writes failed; writing them one by one", len(group))
            for write in group:
                await self._alone(tenant, actor, write)
            return
        self.groups += 1
        self.writes += len(group)
        for write in group:
            if not write.done.done():
                write.done.set_result(write.mutation)

    async def _alone(self, tenant: str, actor: str, write: _Write) -> None:
        try:
            mutation = await self._write(tenant, write.ids, write.decide, actor, write.audit)
        except Exception as err:  # handed to the write's own caller
            if not write.done.done():
                write.done.set_exception(err)
            return
        self.groups += 1
        self.writes += 1
        if not write.done.done():
            write.done.set_result(mutation)

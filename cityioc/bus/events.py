"""What travels on the bus: one committed write, as the entities it left behind."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from cityioc.hub.models import Mutation, Sample, StoredEntity


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    tenant: str
    actor: str
    upserts: list[StoredEntity] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    notifications: bool = False  # the write queued subscription notifications
    subscriptions_changed: bool = False  # a subscription of the tenant was created/changed/deleted
    # The leading rule engine of the process that made the change evaluated it; the others (MQTT
    # workers, servers without the engine's lease) leave it to the leader elsewhere.
    evaluated: bool = True
    # Made by this process (False: received from another one over NATS). Not on the wire, and not
    # part of equality: a decoded copy is the same change, seen elsewhere.
    local: bool = field(default=True, compare=False)
    # Local only, like ``local``: the samples the write kept, and whether they name every
    # attribute it changed (``Mutation.partial``).
    samples: list[Sample] = field(default_factory=list, compare=False)
    partial: bool = field(default=False, compare=False)

    def changed_attrs(self) -> dict[str, set[str]] | None:
        """Entity id → the attributes this write changed, when known (a partial write)."""
        if not self.partial:
            return None
        out: dict[str, set[str]] = {}
        for sample in self.samples:
            found = out.get(sample.entity_id)
            if found is None:
                out[sample.entity_id] = {sample.attr}
            else:
                found.add(sample.attr)
        return out

    @classmethod
    def of(
        cls, tenant: str, actor: str, mutation: Mutation, *, evaluated: bool = True
    ) -> ChangeEvent:
        return cls(
            tenant,
            actor,
            mutation.upserts,
            mutation.deletes,
            bool(mutation.outbox),
            evaluated=evaluated,
            samples=mutation.samples,
            partial=mutation.partial,
        )

    def as_mutation(self) -> Mutation:
        return Mutation(upserts=self.upserts, deletes=self.deletes)

    def encode(self) -> bytes:
        return orjson.dumps(
            {
                "tenant": self.tenant,
                "actor": self.actor,
                "upserts": [_entity(e) for e in self.upserts],
                "deletes": self.deletes,
                "notifications": self.notifications,
                "subscriptionsChanged": self.subscriptions_changed,
                "evaluated": self.evaluated,
            }
        )

    @classmethod
    def decode(cls, raw: bytes) -> ChangeEvent:
        data = orjson.loads(raw)
        return cls(
            data["tenant"],
            data["actor"],
            [StoredEntity(*e) for e in data["upserts"]],
            data["deletes"],
            data["notifications"],
            data.get("subscriptionsChanged", False),
            data.get("evaluated", True),
            local=False,
        )


def _entity(e: StoredEntity) -> list[Any]:
    return [e.id, e.types, e.doc, e.created_at, e.modified_at, e.created_by, e.modified_by]

"""A benchmark reference that stores nothing: NOT a storage option.

``NullStore`` implements the ``Store`` protocol in memory so that the server can be measured with
its storage switched off (``--database-url null://``, used only by ``cityioc.bench``). Entities
live in a dict, serialised as a database would keep them, so ``decide`` sees fresh copies exactly
as with the real adapters; samples and audit records are discarded, queries support only what the
benchmarks need. Everything is lost when the process ends.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import orjson

from cityioc.accounts.records import NoAccounts
from cityioc.core.clock import Clock, SystemClock
from cityioc.core.errors import InvalidRequest, OperationNotSupported
from cityioc.hub.models import Mutation, OutboxItem, StoredEntity
from cityioc.store.dead_letter_records import MemoryDeadLetters
from cityioc.store.geo_index import location_bbox
from cityioc.store.module_state import MemoryModuleState
from cityioc.store.port import (
    ApiKeyRecord,
    AuditRecord,
    Decide,
    EntityQuery,
    OutboxRow,
    RollupData,
    SeriesData,
    SeriesKey,
    StoreStats,
    SubscriptionRecord,
)


@dataclass(frozen=True, slots=True)
class _Row:
    """An entity as a database row: the document is kept serialised, like the real stores."""

    types: tuple[str, ...]
    doc: bytes
    created_at: int
    modified_at: int
    created_by: str
    modified_by: str

    @staticmethod
    def of(entity: StoredEntity) -> _Row:
        return _Row(
            tuple(entity.types),
            orjson.dumps(entity.doc),
            entity.created_at,
            entity.modified_at,
            entity.created_by,
            entity.modified_by,
        )

    def load(self, eid: str) -> StoredEntity:
        return StoredEntity(
            eid,
            list(self.types),
            orjson.loads(self.doc),
            self.created_at,
            self.modified_at,
            self.created_by,
            self.modified_by,
        )


class NoSubscriptions:
    """The benchmark reference keeps no subscriptions and delivers nothing."""

    async def insert(self, tenant: str, sid: str, definition: bytes) -> None:
        raise OperationNotSupported("the benchmark reference store keeps no subscriptions")

    async def update(self, tenant: str, sid: str, definition: bytes) -> bool:
        return False

    async def delete(self, tenant: str, sid: str) -> bool:
        return False

    async def load(
        self, tenant: str | None = None, sid: str | None = None
    ) -> list[SubscriptionRecord]:
        return []

    async def enqueue(self, tenant: str, items: Sequence[OutboxItem]) -> None:
        return None

    async def claim_due(
        self, now: int, owner: str, lease_ms: int, limit: int
    ) -> list[tuple[str, str]]:
        return []

    async def pending(self, tenant: str, sid: str, after: int, limit: int) -> list[OutboxRow]:
        return []

    async def delivered(
        self, tenant: str, sid: str, last_seq: int, at: int, lease_until: int
    ) -> None:
        return None

    async def failed(self, tenant: str, sid: str, at: int, retry_at: int, error: str) -> None:
        return None

    async def release(self, tenant: str, sid: str, owner: str) -> None:
        return None

    async def backlog(self) -> int:
        return 0


class NullStore:
    """In-memory entities, discarded samples: the 'storage switched off' benchmark reference."""

    backend = "null"

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self._entities: dict[str, dict[str, _Row]] = {}
        self._keys: dict[str, ApiKeyRecord] = {}
        self._writes = 0
        self.subscriptions = NoSubscriptions()
        self.dead_letters = MemoryDeadLetters()
        self.module_state = MemoryModuleState()
        self.accounts = NoAccounts()

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def migrate(self) -> list[int]:
        return []

    async def ping(self) -> None:
        return None

    async def mutate(
        self,
        tenant: str,
        ids: Collection[str],
        decide: Decide,
        actor: str,
        audit: Collection[AuditRecord] = (),
    ) -> Mutation:
        # No await between load and save: the event loop makes this atomic, as a transaction would.
        rows = self._entities.setdefault(tenant, {})
        current = {eid: rows[eid].load(eid) for eid in ids if eid in rows}
        mutation = decide(current)
        for entity in mutation.upserts:
            rows[entity.id] = _Row.of(entity)
        for eid in mutation.deletes:
            rows.pop(eid, None)
        self._writes += 1
        return mutation

    async def get_entities(self, tenant: str, ids: Collection[str]) -> dict[str, StoredEntity]:
        rows = self._entities.get(tenant, {})
        return {eid: rows[eid].load(eid) for eid in ids if eid in rows}

    async def query_entities(
        self, tenant: str, query: EntityQuery
    ) -> tuple[list[StoredEntity], int | None]:
        if query.where is not None or query.attrs_any:
            raise InvalidRequest("the null store (a benchmark reference) does not evaluate q/attrs")
        rows = self._entities.get(tenant, {})
        pattern = re.compile(query.id_pattern) if query.id_pattern is not None else None
        found = []
        for eid, row in rows.items():
            if query.ids and eid not in query.ids:
                continue
            if query.types and not set(row.types) & set(query.types):
                continue
            if pattern is not None and not pattern.search(eid):
                continue
            entity = row.load(eid)
            if query.bbox is not None and not _in_box(entity, query.bbox):
                continue
            found.append(entity)
        end = None if query.limit is None else query.offset + query.limit
        return found[query.offset : end], len(found) if query.count else None

    async def tenant_exists(self, tenant: str) -> bool:
        return bool(self._entities.get(tenant))

    async def entity_types(self, tenant: str) -> dict[str, list[str]]:
        out: dict[str, set[str]] = {}
        for eid, row in self._entities.get(tenant, {}).items():
            for etype in row.types:
                out.setdefault(etype, set()).update(row.load(eid).doc)
        return {k: sorted(v) for k, v in sorted(out.items())}

    async def type_counts(self, tenant: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self._entities.get(tenant, {}).values():
            for etype in row.types:
                counts[etype] = counts.get(etype, 0) + 1
        return counts

    async def read_series(
        self,
        tenant: str,
        keys: Collection[SeriesKey],
        start: int | None,
        end: int | None,
        last_n: int | None = None,
    ) -> dict[SeriesKey, SeriesData]:
        return {}

    async def series_of(self, tenant: str, entity_id: str) -> list[SeriesKey]:
        return []

    async def series_extent(self, tenant: str, key: SeriesKey) -> tuple[int, int] | None:
        return None

    async def read_rollups(
        self, tenant: str, key: SeriesKey, width: int, start: int | None, end: int | None
    ) -> RollupData:
        empty_i, empty_f = np.array([], dtype=np.int64), np.array([], dtype=np.float64)
        return RollupData(empty_i, empty_i, empty_f, empty_f, empty_f, empty_f)

    async def delete_series(self, tenant: str, entity_id: str, attr: str | None) -> int:
        return 0

    async def purge_raw_before(self, cutoff_ms: int) -> int:
        return 0

    async def compact(self) -> int:
        return 0

    async def put_api_key(self, record: ApiKeyRecord) -> None:
        self._keys[record.key_hash] = record

    async def find_api_key(self, key_hash: str) -> ApiKeyRecord | None:
        return self._keys.get(key_hash)

    async def list_api_keys(self) -> list[ApiKeyRecord]:
        return sorted(self._keys.values(), key=lambda r: r.created_at)

    async def revoke_api_key(self, key_id: str, at: int) -> bool:
        for digest, record in self._keys.items():
            if record.key_id == key_id and record.revoked_at is None:
                self._keys[digest] = ApiKeyRecord(
                    record.key_id,
                    record.key_hash,
                    record.role,
                    record.name,
                    record.tenant,
                    record.created_at,
                    record.created_by,
                    at,
                )
                return True
        return False

    async def audit_trail(self, tenant: str, subject: str, limit: int = 100) -> list[AuditRecord]:
        return []

    async def stats(self) -> StoreStats:
        return StoreStats(entities=sum(len(rows) for rows in self._entities.values()))

    def pool_stats(self) -> dict[str, int]:
        return {}

    def commit_count(self) -> int:
        return self._writes


def _in_box(entity: StoredEntity, box: tuple[float, float, float, float]) -> bool:
    found = location_bbox(entity)
    if found is None:
        return False
    minx, miny, maxx, maxy = box
    return found[0] <= maxx and found[2] >= minx and found[1] <= maxy and found[3] >= miny

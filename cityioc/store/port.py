"""The storage port: what the domain asks of a database. Adapters: ``sqlite`` and ``postgres``.

Writes go through ``mutate``: the store loads the current state of the named entities inside a
write transaction, hands it to a pure ``decide`` function (domain logic, no I/O) and applies the
``Mutation`` it returns atomically. That keeps read-modify-write races out of the domain without the
domain knowing how each database locks.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

import numpy as np

from cityioc.accounts.records import AccountStore
from cityioc.hub.models import Mutation, OutboxItem, StoredEntity
from cityioc.store.dead_letter_records import DeadLetterStore
from cityioc.store.module_state import ModuleStateStore
from cityioc.subscriptions.models import DeliveryStatus

Decide = Callable[[Mapping[str, StoredEntity]], Mutation]

# Hour and day rollups. No minute rollups: for sensors reporting about once a minute they hold a
# row per reading (61 of 66 bytes per reading: BENCHMARKS.md at commit c8208f5), and minute-level
# periods cover short ranges, which the raw blocks answer quickly.
ROLLUP_WIDTHS_MS = (3_600_000, 86_400_000)


@dataclass(frozen=True, slots=True)
class SqlFilter:
    """A boolean SQL expression over the entity row aliased ``e`` (``e.doc`` is the attributes)."""

    sql: str
    params: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class EntityQuery:
    types: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    id_pattern: str | None = None
    attrs_any: tuple[str, ...] = ()  # entity must have at least one of these attributes
    where: SqlFilter | None = None  # compiled `q`, in the adapter's dialect
    bbox: tuple[float, float, float, float] | None = None  # prefilter on `location`
    limit: int | None = 20
    offset: int = 0
    count: bool = False


@dataclass(frozen=True, slots=True)
class SeriesKey:
    entity_id: str
    attr: str
    dataset_id: str = ""


@dataclass(slots=True)
class SeriesData:
    times: np.ndarray  # int64 epoch ms, ascending
    values: list[Any]  # float for numbers, decoded JSON otherwise


@dataclass(slots=True)
class RollupData:
    buckets: np.ndarray  # int64 bucket starts
    n: np.ndarray
    sum: np.ndarray
    sumsq: np.ndarray
    mn: np.ndarray
    mx: np.ndarray


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    key_id: str
    key_hash: str
    role: str
    name: str
    tenant: str | None
    created_at: int
    created_by: str
    revoked_at: int | None = None
    agency: str | None = None  # for role agency: the Organization entity id it acts for


@dataclass(frozen=True, slots=True)
class AuditRecord:
    at: int
    actor: str
    tenant: str
    action: str
    subject: str
    detail: Mapping[str, Any] | None = None
    seq: int = 0


@dataclass(slots=True)
class StoreStats:
    entities: int = 0
    series: int = 0
    samples: int = 0
    extra: dict[str, float] = field(default_factory=dict)


class OutboxRow(NamedTuple):
    seq: int
    entity_id: str
    trigger: str
    snapshot: bytes
    created_at: int


class SubscriptionRecord(NamedTuple):
    tenant: str
    id: str
    definition: bytes  # JSON
    status: DeliveryStatus


class SubscriptionStore(Protocol):
    """Subscriptions and their outbox. Outbox rows are also written by ``Store.mutate`` (from
    ``Mutation.outbox``) in the transaction of the change they report."""

    async def insert(self, tenant: str, sid: str, definition: bytes) -> None:
        """Raises AlreadyExists."""

    async def update(self, tenant: str, sid: str, definition: bytes) -> bool: ...
    async def delete(self, tenant: str, sid: str) -> bool:
        """Deletes the subscription and its undelivered notifications."""

    async def load(
        self, tenant: str | None = None, sid: str | None = None
    ) -> list[SubscriptionRecord]: ...
    async def enqueue(self, tenant: str, items: Sequence[OutboxItem]) -> None: ...
    async def claim_due(
        self, now: int, owner: str, lease_ms: int, limit: int
    ) -> list[tuple[str, str]]:
        """Lease subscriptions that have notifications due, so one process delivers each."""

    async def pending(self, tenant: str, sid: str, after: int, limit: int) -> list[OutboxRow]:
        """The oldest undelivered rows with ``seq > after``."""

    async def delivered(
        self, tenant: str, sid: str, last_seq: int, at: int, lease_until: int
    ) -> None:
        """Drop the rows up to ``last_seq``, count a success and extend the lease."""

    async def failed(self, tenant: str, sid: str, at: int, retry_at: int, error: str) -> None: ...
    async def release(self, tenant: str, sid: str, owner: str) -> None: ...
    async def backlog(self) -> int: ...


class Store(Protocol):
    backend: str

    @property
    def subscriptions(self) -> SubscriptionStore: ...

    @property
    def dead_letters(self) -> DeadLetterStore: ...

    @property
    def module_state(self) -> ModuleStateStore: ...

    @property
    def accounts(self) -> AccountStore: ...

    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def migrate(self) -> list[int]: ...
    async def ping(self) -> None: ...

    async def mutate(
        self,
        tenant: str,
        ids: Collection[str],
        decide: Decide,
        actor: str,
        audit: Collection[AuditRecord] = (),
    ) -> Mutation: ...

    async def get_entities(self, tenant: str, ids: Collection[str]) -> dict[str, StoredEntity]: ...
    async def query_entities(
        self, tenant: str, query: EntityQuery
    ) -> tuple[list[StoredEntity], int | None]: ...
    async def tenant_exists(self, tenant: str) -> bool: ...
    async def entity_types(self, tenant: str) -> dict[str, list[str]]: ...
    async def type_counts(self, tenant: str) -> dict[str, int]: ...

    async def read_series(
        self,
        tenant: str,
        keys: Collection[SeriesKey],
        start: int | None,
        end: int | None,
        last_n: int | None = None,
    ) -> dict[SeriesKey, SeriesData]: ...
    async def series_of(self, tenant: str, entity_id: str) -> list[SeriesKey]: ...
    async def series_extent(self, tenant: str, key: SeriesKey) -> tuple[int, int] | None: ...
    async def read_rollups(
        self, tenant: str, key: SeriesKey, width: int, start: int | None, end: int | None
    ) -> RollupData: ...
    async def delete_series(self, tenant: str, entity_id: str, attr: str | None) -> int: ...
    async def purge_raw_before(self, cutoff_ms: int) -> int: ...
    async def compact(self) -> int: ...

    async def put_api_key(self, record: ApiKeyRecord) -> None: ...
    async def find_api_key(self, key_hash: str) -> ApiKeyRecord | None: ...
    async def list_api_keys(self) -> list[ApiKeyRecord]: ...
    async def revoke_api_key(self, key_id: str, at: int) -> bool: ...
    async def audit_trail(
        self, tenant: str, subject: str, limit: int = 100
    ) -> list[AuditRecord]: ...
    async def stats(self) -> StoreStats: ...
    def pool_stats(self) -> dict[str, int]: ...
    def commit_count(self) -> int: ...

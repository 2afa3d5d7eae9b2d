"""NGSI-LD subscriptions: what a partner system asked to be told, and how its deliveries went.

Names inside a subscription are stored expanded (full IRIs), like entities, and compacted against
the subscription's own @context when it is shown or when a notification is sent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_TRIGGERS = ("entityCreated", "attributeCreated", "attributeUpdated")
TRIGGERS = (
    "entityCreated",
    "entityUpdated",
    "entityDeleted",
    "attributeCreated",
    "attributeUpdated",
    "attributeDeleted",
)
FORMATS = ("normalized", "keyValues", "concise")


@dataclass(frozen=True, slots=True)
class EntitySelector:
    type: str  # expanded
    id: str | None = None
    id_pattern: str | None = None


@dataclass(slots=True)
class DeliveryStatus:
    """The counters NGSI-LD shows under ``notification`` (times in epoch ms)."""

    times_sent: int = 0
    times_failed: int = 0
    last_notification: int | None = None
    last_success: int | None = None
    last_failure: int | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    retry_at: int | None = None  # no delivery before this time (backoff after failures)


@dataclass(slots=True)
class Subscription:
    id: str
    entities: tuple[EntitySelector, ...] = ()
    watched: tuple[str, ...] = ()  # expanded attribute names; empty: any attribute
    triggers: tuple[str, ...] = DEFAULT_TRIGGERS
    q: str | None = None
    geoq: dict[str, Any] | None = None  # NGSI-LD geoQ with an expanded geoproperty
    attributes: tuple[str, ...] = ()  # notified attributes, expanded; empty: all
    form: str = "normalized"
    sys_attrs: bool = False  # include createdAt / modifiedAt in notified entities
    endpoint: str = ""
    accept: str = "application/json"
    receiver_info: tuple[tuple[str, str], ...] = ()
    throttling_s: float | None = None
    time_interval_s: float | None = None
    expires_at: int | None = None
    active: bool = True
    name: str | None = None
    description: str | None = None
    context: Any = None  # the @context it was created with (None: the core context)
    created_at: int = 0
    modified_at: int = 0
    created_by: str = ""
    # Who it notifies for: the creator's role and agency, so that it never carries what the
    # creator could not read (e.g. another agency's incidents).
    owner_role: str | None = None
    owner_agency: str | None = None
    status: DeliveryStatus = field(default_factory=DeliveryStatus)

    def state(self, now_ms: int) -> str:
        """``active``, ``paused``, ``expired`` — or ``failed`` while deliveries keep failing."""
        if self.expires_at is not None and self.expires_at <= now_ms:
            return "expired"
        if not self.active:
            return "paused"
        return "failed" if self.status.consecutive_failures else "active"

    def definition(self) -> dict[str, Any]:
        """What the store keeps of it (everything but the delivery counters), as plain JSON."""
        record = asdict(self)
        del record["status"]
        return record

    @classmethod
    def from_definition(cls, record: dict[str, Any], status: DeliveryStatus) -> Subscription:
        values = dict(record)
        values["entities"] = tuple(EntitySelector(**e) for e in record.get("entities", ()))
        values["receiver_info"] = tuple(tuple(kv) for kv in record.get("receiver_info", ()))
        for name in ("watched", "triggers", "attributes"):
            values[name] = tuple(record.get(name, ()))
        return cls(**values, status=status)

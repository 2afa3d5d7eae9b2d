"""Types of the city data hub.

Entities are stored with *expanded* names (full IRIs for types, attributes and sub-attributes) and
compacted per request against the client's @context, so that clients with different contexts stay
consistent. The NGSI-LD member keywords (``type``, ``value``, ``object``, ``observedAt``,
``unitCode``, ``datasetId``, ``createdAt``, ``modifiedAt``) stay short.

``doc`` maps an expanded attribute name to one attribute object in normalized form, or to a list of
them when the attribute has several instances (distinguished by ``datasetId``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

JSON = Any
AttributeObject = dict[str, Any]
AttributeValue = AttributeObject | list[AttributeObject]


@dataclass(slots=True)
class StoredEntity:
    id: str
    types: list[str]
    doc: dict[str, AttributeValue]
    created_at: int
    modified_at: int
    created_by: str = ""
    modified_by: str = ""


class Sample(NamedTuple):
    """One observation of one attribute: what the time series keeps.

    A named tuple, not a dataclass: ingestion makes one per reading and tuples build ~3× faster.
    """

    entity_id: str
    attr: str
    t: int  # observedAt (or receipt time), epoch milliseconds UTC
    value: JSON
    dataset_id: str = ""


class OutboxItem(NamedTuple):
    """A notification owed to a subscription, written in the same transaction as the change.

    ``snapshot`` is the entity as it was committed (JSON), so that delivery, however late,
    sends what happened and not what the entity looks like by then.
    """

    subscription_id: str
    entity_id: str
    trigger: str  # entityCreated, attributeUpdated, entityDeleted …
    snapshot: bytes
    created_at: int


@dataclass(slots=True)
class Mutation:
    """What one write decided, applied atomically by the store."""

    upserts: list[StoredEntity] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    outbox: list[OutboxItem] = field(default_factory=list)
    # Every upsert changed only attributes named by the samples (none removed, types unchanged):
    # consumers may then look at those attributes alone (the rule engine does).
    partial: bool = False

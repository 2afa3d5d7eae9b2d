"""SQL of the subscription store, shared by both backends (``?`` placeholders; PostgreSQL's
adapter turns them into ``%s``). The statements are plain SQL that both databases run alike."""

from __future__ import annotations

from cityioc.store.port import SubscriptionRecord
from cityioc.subscriptions.models import DeliveryStatus

STATUS_COLUMNS = (
    "times_sent, times_failed, last_notification, last_success, last_failure, last_error,"
    " consecutive_failures, retry_at"
)
INSERT = "INSERT INTO subscriptions (tenant, id, definition) VALUES (?, ?, ?)"
EXISTS = "SELECT 1 FROM subscriptions WHERE tenant = ? AND id = ?"
UPDATE = "UPDATE subscriptions SET definition = ? WHERE tenant = ? AND id = ?"
DELETE = "DELETE FROM subscriptions WHERE tenant = ? AND id = ?"
DELETE_OUTBOX = "DELETE FROM outbox WHERE tenant = ? AND subscription_id = ?"
SELECT = f"SELECT tenant, id, definition, {STATUS_COLUMNS} FROM subscriptions"
ENQUEUE = (
    "INSERT INTO outbox (tenant, subscription_id, entity_id, trigger, snapshot, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
DUE = (
    "SELECT tenant, id FROM subscriptions s"
    " WHERE (retry_at IS NULL OR retry_at <= ?)"
    " AND (lease_until IS NULL OR lease_until <= ? OR lease_owner = ?)"
    " AND EXISTS (SELECT 1 FROM outbox o WHERE o.tenant = s.tenant AND o.subscription_id = s.id)"
    " ORDER BY coalesce(retry_at, 0) LIMIT ?"
)
LEASE = "UPDATE subscriptions SET lease_owner = ?, lease_until = ? WHERE tenant = ? AND id = ?"
PENDING = (
    "SELECT seq, entity_id, trigger, snapshot, created_at FROM outbox"
    " WHERE tenant = ? AND subscription_id = ? AND seq > ? ORDER BY seq LIMIT ?"
)
DROP_DELIVERED = "DELETE FROM outbox WHERE tenant = ? AND subscription_id = ? AND seq <= ?"
SUCCEEDED = (
    "UPDATE subscriptions SET times_sent = times_sent + 1, last_notification = ?,"
    " last_success = ?, consecutive_failures = 0, retry_at = NULL, lease_until = ?"
    " WHERE tenant = ? AND id = ?"
)
FAILED = (
    "UPDATE subscriptions SET times_failed = times_failed + 1, last_notification = ?,"
    " last_failure = ?, last_error = ?, consecutive_failures = consecutive_failures + 1,"
    " retry_at = ?, lease_owner = NULL, lease_until = NULL WHERE tenant = ? AND id = ?"
)
RELEASE = (
    "UPDATE subscriptions SET lease_owner = NULL, lease_until = NULL"
    " WHERE tenant = ? AND id = ? AND lease_owner = ?"
)
BACKLOG = "SELECT count(*) FROM outbox"


def select(tenant: str | None, sid: str | None) -> tuple[str, tuple[str, ...]]:
    where, params = [], []
    if tenant is not None:
        where.append("tenant = ?")
        params.append(tenant)
    if sid is not None:
        where.append("id = ?")
        params.append(sid)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return f"{SELECT}{clause} ORDER BY tenant, id", tuple(params)


def record(row: tuple[object, ...]) -> SubscriptionRecord:
    tenant, sid, definition, *status = row
    text = definition if isinstance(definition, str) else str(definition)
    return SubscriptionRecord(
        str(tenant),
        str(sid),
        text.encode(),
        DeliveryStatus(*status),  # type: ignore[arg-type]
    )

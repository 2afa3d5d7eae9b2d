-- NGSI-LD subscriptions and their durable outbox of notifications.
CREATE TABLE subscriptions (
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    definition TEXT NOT NULL,              -- JSON, names expanded
    times_sent INTEGER NOT NULL DEFAULT 0,
    times_failed INTEGER NOT NULL DEFAULT 0,
    last_notification INTEGER,
    last_success INTEGER,
    last_failure INTEGER,
    last_error TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    retry_at INTEGER,                      -- backoff: no delivery before this time
    lease_owner TEXT,                      -- the process delivering it, until lease_until
    lease_until INTEGER,
    PRIMARY KEY (tenant, id)
);

-- Written in the same transaction as the change it reports; deleted once delivered.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: delivery deletes "seq <= n"
    tenant TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    trigger TEXT NOT NULL,
    snapshot BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX outbox_by_subscription ON outbox (tenant, subscription_id, seq);

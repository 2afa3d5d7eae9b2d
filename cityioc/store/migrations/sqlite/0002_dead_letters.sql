-- Messages and rows that could not be stored (MQTT, file import, HTTP), kept for an admin to read,
-- fix and replay. The raw payload is kept byte for byte; purging empties it but keeps the record.
CREATE TABLE dead_letters (
    id INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    source_kind TEXT NOT NULL,
    source TEXT NOT NULL,
    position INTEGER,
    client_id TEXT,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    payload BLOB NOT NULL,
    status TEXT NOT NULL DEFAULT 'new',
    replayed_at INTEGER
);
CREATE INDEX dead_letters_by_status ON dead_letters (tenant, status, id);
CREATE INDEX dead_letters_by_reason ON dead_letters (tenant, reason, id);

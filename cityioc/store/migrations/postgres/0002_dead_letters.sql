-- Messages and rows that could not be stored (MQTT, file import, HTTP), kept for an admin to read,
-- fix and replay. The raw payload is kept byte for byte; purging empties it but keeps the record.
CREATE TABLE dead_letters (
    id BIGSERIAL PRIMARY KEY,
    tenant TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    source_kind TEXT NOT NULL,
    source TEXT NOT NULL,
    position BIGINT,
    client_id TEXT,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    payload BYTEA NOT NULL,
    status TEXT NOT NULL DEFAULT 'new',
    replayed_at BIGINT
);
CREATE INDEX dead_letters_by_status ON dead_letters (tenant, status, id);
CREATE INDEX dead_letters_by_reason ON dead_letters (tenant, reason, id);

-- Private state of modules (the rule engine's durations and last values, SLA timers …): a JSON
-- value per (module, tenant, key), written in batches, read back at start.
CREATE TABLE module_state (
    module TEXT NOT NULL,
    tenant TEXT NOT NULL,
    key TEXT NOT NULL,
    value JSONB NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (module, tenant, key)
);

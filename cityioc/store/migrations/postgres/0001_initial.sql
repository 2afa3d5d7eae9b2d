-- Entities keep their current state as one JSONB document of expanded attribute names.
-- Readings rewrite an entity's document on every batch: fillfactor leaves room on each page so
-- those updates stay HOT (no index churn, as long as types and the location box are unchanged).
CREATE TABLE entities (
    rid BIGSERIAL PRIMARY KEY,
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    types TEXT[] NOT NULL,
    doc JSONB NOT NULL,
    created_at BIGINT NOT NULL,
    modified_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    modified_by TEXT NOT NULL,
    -- bounding box of the `location` attribute, NULL when it has none
    minx DOUBLE PRECISION,
    miny DOUBLE PRECISION,
    maxx DOUBLE PRECISION,
    maxy DOUBLE PRECISION,
    UNIQUE (tenant, id)
) WITH (fillfactor = 80);
CREATE INDEX entities_types ON entities USING GIN (types);
-- Query pages are ordered by rid within a tenant.
CREATE INDEX entities_tenant_rid ON entities (tenant, rid);
CREATE INDEX entities_geo ON entities USING GIST (box(point(minx, miny), point(maxx, maxy)))
    WHERE minx IS NOT NULL;

-- A time series per (entity, attribute, datasetId).
CREATE TABLE series (
    sid SERIAL PRIMARY KEY,
    tenant TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    attr TEXT NOT NULL,
    dataset_id TEXT NOT NULL DEFAULT '',
    UNIQUE (tenant, entity_id, attr, dataset_id)
);

-- Raw samples: numbers in v, any other JSON value in j (exactly one of them is set).
-- The primary key is the only index: every other one costs on each of millions of inserts (a
-- BRIN index on t alone measured +55% server CPU per COPY); retention purges walk it per series.
CREATE TABLE samples (
    sid INTEGER NOT NULL,
    t BIGINT NOT NULL,
    v DOUBLE PRECISION,
    j JSONB,
    PRIMARY KEY (sid, t)
);

-- Partial aggregates of numeric samples per clock-aligned bucket (width: 3600000 and 86400000 ms).
-- Every write batch updates its buckets in place: free space keeps those updates HOT.
CREATE TABLE rollups (
    sid INTEGER NOT NULL,
    width INTEGER NOT NULL,
    bucket BIGINT NOT NULL,
    n BIGINT NOT NULL,
    sum DOUBLE PRECISION NOT NULL,
    sumsq DOUBLE PRECISION NOT NULL,
    mn DOUBLE PRECISION NOT NULL,
    mx DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (sid, width, bucket)
) WITH (fillfactor = 70);

CREATE TABLE api_keys (
    key_id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    tenant TEXT,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at BIGINT
);

-- Append-only record of every write other than plain readings (readings carry modified_by).
CREATE TABLE audit (
    seq BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    tenant TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail JSONB
);
CREATE INDEX audit_subject ON audit (tenant, subject, seq);

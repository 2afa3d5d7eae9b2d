-- Entities keep their current state as one JSON document of expanded attribute names.
CREATE TABLE entities (
    rid INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    id TEXT NOT NULL,
    types TEXT NOT NULL,
    doc TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    modified_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    modified_by TEXT NOT NULL,
    UNIQUE (tenant, id)
);

-- One row per (entity, type): entities may have several types.
CREATE TABLE entity_types (
    tenant TEXT NOT NULL,
    type TEXT NOT NULL,
    rid INTEGER NOT NULL,
    PRIMARY KEY (tenant, type, rid)
) WITHOUT ROWID;

-- Bounding box of each entity's `location`, for geo-query prefiltering.
CREATE VIRTUAL TABLE entity_geo USING rtree (rid, minx, maxx, miny, maxy);

-- A time series per (entity, attribute, datasetId). compacted_to: the last time held in blocks.
CREATE TABLE series (
    sid INTEGER PRIMARY KEY,
    tenant TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    attr TEXT NOT NULL,
    dataset_id TEXT NOT NULL DEFAULT '',
    compacted_to INTEGER NOT NULL DEFAULT -9223372036854775808,
    UNIQUE (tenant, entity_id, attr, dataset_id)
);

-- Recent samples, appended as they arrive (a small table: the compactor empties it every few
-- seconds). Numbers go in v (integral reals are stored as small integers), other JSON in j.
CREATE TABLE samples_hot (
    sid INTEGER NOT NULL,
    t INTEGER NOT NULL,
    v REAL,
    j TEXT
);
CREATE INDEX samples_hot_series ON samples_hot (sid, t);

-- Compacted samples: one row per series per block of up to ~1,000 samples (store/codec.py).
CREATE TABLE sample_blocks (
    sid INTEGER NOT NULL,
    t0 INTEGER NOT NULL,
    t1 INTEGER NOT NULL,
    n INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (sid, t0)
) WITHOUT ROWID;

-- Partial aggregates of numeric compacted samples per clock-aligned bucket
-- (width: 3600000 and 86400000 ms); readers add the partials of the hot samples.
CREATE TABLE rollups (
    sid INTEGER NOT NULL,
    width INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    n INTEGER NOT NULL,
    sum REAL NOT NULL,
    sumsq REAL NOT NULL,
    mn REAL NOT NULL,
    mx REAL NOT NULL,
    PRIMARY KEY (sid, width, bucket)
) WITHOUT ROWID;

CREATE TABLE api_keys (
    key_id TEXT PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    tenant TEXT,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at INTEGER
);

-- Append-only record of every write other than plain readings (readings carry modified_by).
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    tenant TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX audit_subject ON audit (tenant, subject, seq);

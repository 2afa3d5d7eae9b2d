-- Samples move from a row each (95 bytes a reading with its index) to compressed blocks, the
-- layout SQLite has (store/codec.py): `samples` stays, as the hot table new writes go to (its
-- primary key still settles repeats among them), and the compactor (store/postgres/compaction.py)
-- moves its rows into `sample_blocks` every few seconds, adding them to the rollups as it does.
-- Rollups hold the compacted samples; readers add the partials of the hot rows.
CREATE TABLE sample_blocks (
    sid INTEGER NOT NULL,
    t0 BIGINT NOT NULL,
    t1 BIGINT NOT NULL,
    n INTEGER NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (sid, t0)
);
-- Blocks are zlib-compressed already: stored out of line as they are, pglz would only waste CPU.
ALTER TABLE sample_blocks ALTER COLUMN data SET STORAGE EXTERNAL;

-- The last time a series holds in blocks (and its rollups count); hot rows at or before it are
-- late data, merged at compaction. Rows already in `samples` were counted in the rollups when
-- they were written: they are taken as compacted, so they are late data until the compactor has
-- moved them (the days they touch are aggregated from the raw samples meanwhile).
-- Each compaction step updates it: free space on every page keeps those updates HOT.
ALTER TABLE series ADD COLUMN compacted_to BIGINT NOT NULL DEFAULT -9223372036854775808;
ALTER TABLE series SET (fillfactor = 70);
UPDATE series SET compacted_to = coalesce(
    (SELECT max(t) FROM samples WHERE samples.sid = series.sid), compacted_to
);

-- The newest samples, appended as they arrive; the write that brings them to 25,000 rows folds
-- them into samples_hot in one sorted run (store/sqlite/series.py fold). Kept small so that a
-- commit touches few index pages: an index over (sid, t) of the whole hot table (up to ~300,000
-- rows) has a page for every few hundred series, and a batch spanning thousands of series
-- dirtied nearly all of them.
CREATE TABLE samples_new (
    sid INTEGER NOT NULL,
    t INTEGER NOT NULL,
    v REAL,
    j TEXT
);
CREATE INDEX samples_new_series ON samples_new (sid, t);

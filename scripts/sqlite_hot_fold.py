"""Why SQLite samples arrive in a small table folded into the hot one (docs/architecture.md).

Writes 60 commits of 5,000 samples (one per series of 5,000, a minute apart) with
``synchronous=FULL`` in WAL mode: first all into one indexed hot table that grows to 300,000 rows,
then into a small table folded into the hot one (sorted) every ``FOLD`` rows. Prints the rate and
the time of the first and last commits: with one table, each commit dirties nearly every page of
the growing ``(sid, t)`` index.

    .venv/bin/python scripts/sqlite_hot_fold.py
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
import time
from pathlib import Path

import orjson

SERIES, COMMITS, FOLD = 5_000, 60, 25_000
INSERT = (
    "INSERT INTO {} (sid, t, v, j)"
    " SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?)"
)


def run(path: Path, fold: bool) -> tuple[float, list[float]]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    for table in ("hot", "new"):
        conn.execute(f"CREATE TABLE {table} (sid INTEGER, t INTEGER, v REAL, j TEXT)")
        conn.execute(f"CREATE INDEX {table}_series ON {table} (sid, t)")
    rng = random.Random(1)
    waiting, times = 0, []
    started = time.perf_counter()
    for step in range(COMMITS):
        rows = [(sid, step * 60_000, rng.random() * 100, None) for sid in range(SERIES)]
        began = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(INSERT.format("new" if fold else "hot"), (orjson.dumps(rows),))
        waiting += len(rows)
        if fold and waiting >= FOLD:
            conn.execute("INSERT INTO hot SELECT * FROM new ORDER BY sid, t")
            conn.execute("DELETE FROM new")
            waiting = 0
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        times.append(time.perf_counter() - began)
    seconds = time.perf_counter() - started
    conn.close()
    return SERIES * COMMITS / seconds, times


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for fold in (False, True):
            rate, times = run(Path(folder) / f"fold-{fold}.db", fold)
            first = ", ".join(f"{t * 1000:.0f}" for t in times[:3])
            last = ", ".join(f"{t * 1000:.0f}" for t in times[-3:])
            what = f"small table folded every {FOLD:,} rows" if fold else "one hot table"
            print(f"{what}: {rate:,.0f} rows/s; commits first {first} ms, last {last} ms")


if __name__ == "__main__":
    main()

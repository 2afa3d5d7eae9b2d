"""Why the SQLite writer sends rows as one JSON array (docs/architecture.md, "The GIL").

Inserts 20 batches of 5,000 rows into an indexed table like ``samples_hot``, first with
``executemany`` and then with one ``INSERT … SELECT … FROM json_each(?)``, each alone and then
beside a thread that keeps the GIL busy (as the event loop does under load). ``executemany`` lets
go of the GIL around every row's ``sqlite3_step`` and must take it back each time, so beside a busy
thread it crawls; the single statement hands the GIL over once.

    .venv/bin/python scripts/sqlite_gil_handoff.py
"""

from __future__ import annotations

import random
import sqlite3
import tempfile
import threading
import time
from pathlib import Path

import orjson

BATCHES, ROWS = 20, 5_000
INSERT_ONE = (
    "INSERT INTO h (sid, t, v, j)"
    " SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3 FROM json_each(?)"
)


def rate(path: Path, rows: list[tuple[int, int, float, None]], one_statement: bool) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE h (sid INTEGER NOT NULL, t INTEGER NOT NULL, v REAL, j TEXT)")
    conn.execute("CREATE INDEX h_series ON h (sid, t)")
    started = time.perf_counter()
    for _ in range(BATCHES):
        conn.execute("BEGIN")
        if one_statement:
            conn.execute(INSERT_ONE, (orjson.dumps(rows),))
        else:
            conn.executemany("INSERT INTO h (sid, t, v, j) VALUES (?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    conn.close()
    return BATCHES * ROWS / seconds


def main() -> None:
    rows = [
        (random.randrange(3_000), 1_700_000_000_000 + i, random.random() * 100, None)
        for i in range(ROWS)
    ]
    busy = threading.Event()

    def spin() -> None:
        n = 0
        while busy.is_set():
            n += 1

    with tempfile.TemporaryDirectory() as tmp:
        for contended in (False, True):
            spinner = None
            if contended:
                busy.set()
                spinner = threading.Thread(target=spin)
                spinner.start()
            for one in (False, True):
                path = Path(tmp) / f"{contended}-{one}.db"
                how = "one statement" if one else "executemany"
                where = "beside a busy thread" if contended else "alone"
                print(f"{how:>13}, {where:<20} {rate(path, rows, one):>10,.0f} rows/s")
            if spinner is not None:
                busy.clear()
                spinner.join()


if __name__ == "__main__":
    main()
